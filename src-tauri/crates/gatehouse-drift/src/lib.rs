//! Drift statistics between a reference and a current sample: pure, synchronous, no IO.
//!
//! The engine compares one column at a time ([`compare`]) and summarises many ([`dataset`]). It
//! reproduces the numbers of the field's reference tools — Evidently 0.7.23's stat tests and the
//! scipy 1.17 functions they call — and depends on no other Gatehouse crate (only `serde` for the
//! result types and `thiserror` for [`DriftError`]).
//!
//! ```
//! use gatehouse_drift::{compare, Column, Method, Options};
//!
//! let reference = [0.1, 0.4, 0.35, 0.8, 0.55, 0.2, 0.9];
//! let current = [0.6, 0.9, 1.2, 0.75, 1.1, 0.95];
//! let drift = compare(&Column::Numerical(&reference), &Column::Numerical(&current), &Options::default())?;
//! assert_eq!(drift.method, Method::Ks); // small reference, many distinct values
//! assert!(drift.p_value.is_some());
//! # Ok::<(), gatehouse_drift::DriftError>(())
//! ```
//!
//! # Cleaning
//!
//! Missing values (`None`, NaN) and ±inf are removed from both samples before anything else, as
//! Evidently's `get_one_column_drift` does. Unlike Evidently, the share removed on each side is
//! reported beside the result ([`SampleSummary::missing_share`]): a jump from 10 % to 25 % missing
//! is no distribution drift, but the data-quality gate must see it. A side left empty is the error
//! [`DriftError::EmptyReference`] / [`DriftError::EmptyCurrent`].
//!
//! # Default method and thresholds (Evidently's `_get_default_stattest`)
//!
//! With `n_ref` the cleaned reference size and `u` the distinct values of both samples pooled:
//! `n_ref <= 1000`: numerical → Z if `u <= 2`, chi-square if `u <= 5`, KS otherwise; categorical →
//! Z if `u <= 2`, chi-square otherwise. `n_ref > 1000`: numerical → Jensen–Shannon if `u <= 5`,
//! Wasserstein otherwise; categorical → Jensen–Shannon. See [`default_method`].
//!
//! Drift is decided as Evidently does: KS `p <= t` (default `t = 0.05`); chi-square and Z
//! `p < t` (0.05); every distance `value >= t` (0.1). Dataset drift: at least 50 % of the columns
//! drift ([`DEFAULT_DRIFT_SHARE`]). Every method and threshold can be set per column ([`Options`]).
//!
//! # Definitions
//!
//! Notation: `R`, `C` the cleaned reference and current samples, `n1 = |R|`, `n2 = |C|`,
//! `F_R`, `F_C` their empirical CDFs.
//!
//! * **KS** (`ks`): `D = sup_x |F_R(x) - F_C(x)|`, two-sided p-value exactly as scipy's
//!   `ks_2samp(method='auto')`: if `max(n1, n2) <= 10_000`, the exact lattice-path probability of
//!   `D >= h / lcm(n1, n2)` with `h = round(D * lcm)` (`_compute_prob_outside_square` when
//!   `n1 == n2`, else `_compute_outer_prob_inside_method`), and the reported `D` is `h / lcm`;
//!   otherwise `kstwo.sf(D, round(n1 n2 / (n1 + n2)))`, the finite-n two-sided Kolmogorov
//!   distribution (Simard–L'Ecuyer's algorithm selection: Ruben–Gambino, Durbin/MTW matrix,
//!   Pomeranz, Pelz–Good, `2 * smirnov`). `value = D`.
//! * **Chi-square** (`chisquare`): over the `k` categories seen in either sample, expected counts
//!   `E_i = r_i * n2 / n1` from the reference counts `r_i`, observed `O_i` the current counts;
//!   `X^2 = sum (O_i - E_i)^2 / E_i`, `p = Q((k-1)/2, X^2/2)` (chi-square survival with `k - 1`
//!   degrees of freedom). A category unseen in reference makes `E_i = 0`, `X^2 = inf`, `p = 0`
//!   ([`Note::UnseenInReference`]). One category only: scipy gives NaN; here `X^2 = 0`, `p = 1`
//!   ([`Note::SingleCategory`]). `value = X^2`.
//! * **Z** (`z`): values equal to the smallest category (sorted order) count 0, others 1;
//!   `p1`, `p2` the shares of ones, `P = (p1 n1 + p2 n2) / (n1 + n2)`,
//!   `z = (p1 - p2) / sqrt(P (1 - P) (1/n1 + 1/n2))`, `p = 2 (1 - Phi(|z|))`, computed as
//!   `erfc(|z| / sqrt 2)` (Evidently's `1 - Phi` rounds to 0 beyond `|z| ≈ 8.3`; the two differ by
//!   under 1e-15). One shared category on both sides: `z = 0`, `p = 1`. `value = z`.
//! * **Wasserstein, normed** (`wasserstein`): `W1 = integral |F_R - F_C| dx` (scipy's
//!   `wasserstein_distance`) divided by `max(std(R), 0.001)` with the population standard
//!   deviation ([`Note::ReferenceStdFloored`] when the floor applies).
//! * **Binning** for PSI, KL and Jensen–Shannon (Evidently's `get_binned_data`; its `n_bins`
//!   argument is ignored by its code): a numerical column with more than 20 distinct *reference*
//!   values is cut by `numpy.histogram_bin_edges(R ∪ C, bins="sturges")` — `ceil(log2(n1 + n2) + 1)`
//!   equal-width bins over `[min, max]` of the pooled sample, each bin `[e_k, e_{k+1})`, the last one
//!   closed; any other column gets one bin per distinct value. Proportions `r_i = count / n1`,
//!   `c_i = count / n2`. For PSI and KL each side's empty bins are then set to
//!   `m / 10^6` if its smallest non-zero proportion `m <= 10^-4`, else to `10^-4`.
//! * **PSI** (`psi`): `sum (r_i - c_i) ln(r_i / c_i)` (no renormalisation after filling).
//! * **KL** (`kl`): `sum p_i ln(p_i / q_i)` with `p = r / sum r`, `q = c / sum c` (scipy's
//!   `entropy(r, c)`), i.e. the divergence of reference from current.
//! * **Jensen–Shannon distance** (`jensenshannon`): no zero filling; `p`, `q` normalised,
//!   `m = (p + q) / 2`, `sqrt((KL(p||m) + KL(q||m)) / 2)` in nats (scipy's
//!   `distance.jensenshannon`), between 0 and `sqrt(ln 2)`.
//! * **Hellinger** (`hellinger`): `sqrt(1 - clip(BC, 0, 1))`. Categorical: `BC = sum sqrt(p_i q_i)`
//!   over category proportions. Numerical: Evidently takes Sturges bin edges over the *distinct*
//!   pooled values (so `ceil(log2(u) + 1)` bins over the same range), histogram densities
//!   `f_i = count_i / width_i / n`, and `BC = sum sqrt(f_i g_i) * w` with `w` the mean bin width.
//!
//! KS and Wasserstein need ordered values and refuse categorical columns; every other method
//! treats values as categories and also runs on numerical columns (Evidently's own defaults apply
//! chi-square and Z to numerical columns with at most five distinct values).
//!
//! # Binned input
//!
//! A distribution that arrives as a histogram (a Prometheus histogram's bucket counts over a
//! window) is compared bin by bin with [`compare_binned`]: PSI, KL, Jensen–Shannon and Hellinger
//! exactly on the given bins, Wasserstein as an estimate that spreads each bin's mass evenly;
//! KS, chi-square and Z need raw samples and are refused. See the `binned` module's docs for
//! each definition.
//!
//! # Degenerate input
//!
//! Nothing here panics or returns NaN silently: empty samples, kind mismatches, invalid
//! thresholds and ranges too narrow to bin are [`DriftError`]s; constant columns and single
//! categories get the defined values above; an undefined statistic is [`DriftError::Undefined`].
//!
//! # Agreement with the reference tools
//!
//! `tests/golden.rs` replays `tests/fixtures/drift/golden.json`, produced by
//! `tests/fixtures/drift/make_fixtures.py` with Evidently 0.7.23 and scipy, and asserts distances
//! to 1e-9, p-values to 1e-6, and decisions and default methods exactly.

mod binned;
mod categorical;
mod column;
mod distance;
mod drift;
mod error;
pub mod kolmogorov;
pub mod ks;
mod method;
pub mod special;
mod table;

pub use binned::{compare_binned, Bins, BINNED_METHODS, DEFAULT_BINNED_METHOD};
pub use column::{Categories, Column, Kind, SampleSummary};
pub use distance::{jensen_shannon, kl, psi, wasserstein, wasserstein_norm, WASSERSTEIN_STD_FLOOR};
pub use drift::{
    compare, compare_many, dataset, ColumnDrift, DatasetDrift, FeatureDrift, Note, Options,
    DEFAULT_DRIFT_SHARE,
};
pub use error::DriftError;
pub use method::{default_method, Method, UnknownMethod, ALL_METHODS, SMALL_REFERENCE_MAX};
pub use table::{compare_tables, Cells, Request, Table};
