# Shared settings of the entry points; sourced, not run.
# Builds share one target directory outside the checkout, so a fresh clone reuses compiled
# dependencies (CI runs in a new clone each time).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/gatehouse/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
