//! Drift statistics between a reference and a current sample: pure, synchronous, no IO.
//!
//! The engine (Kolmogorov–Smirnov, chi-square, Z, Wasserstein, Jensen–Shannon, PSI, KL,
//! Hellinger, with Evidently's default choices) is built here; this crate depends on nothing so
//! that it can be benchmarked and fuzzed alone.
