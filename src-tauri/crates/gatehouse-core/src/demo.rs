//! The demo workspace's content, generated deterministically from a seed: the policy of a churn
//! team, three models with versions, metrics, lineage and pointers, and a day of readings in which
//! one gate blocks (a schema break in today's batch), one waits (a promotion with one of two
//! approvals) and one is unknown (the label feed went quiet). The store writes it like any other
//! data; nothing in the code special-cases the demo.

use std::collections::BTreeMap;

use crate::monitor::{drift_board, DriftRules, SampleValues, SampleWindow};
use crate::policy::UserName;
use crate::promotion::RequestId;
use crate::reading::{ModelName, Reading, SignalName};
use crate::registry::{Model, ModelVersion, PointerName, VersionId};
use crate::time::Timestamp;

/// The demo's policy file.
pub const POLICY: &str = include_str!("../../../../assets/demo/gatehouse.toml");

/// The seed `gatehouse demo` uses unless told otherwise.
pub const DEFAULT_SEED: u64 = 20_261_126;

/// Everything a demo workspace holds.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoWorkspace {
    /// The text of `gatehouse.toml`.
    pub policy: String,
    /// The registry.
    pub models: Vec<Model>,
    /// Signal history, oldest first.
    pub readings: Vec<Reading>,
    /// The churn model's training reference, per feature.
    pub reference: BTreeMap<String, SampleValues>,
    /// The churn model's serving stream in hourly windows, oldest first; drift grows over them.
    pub windows: Vec<SampleWindow>,
    /// What people did, oldest first; replayed through the real use-cases so that requests,
    /// approvals, pointer moves and the audit log are what they would be in a real workspace.
    pub history: Vec<DemoStep>,
}

/// One thing a person did in the demo's past.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoStep {
    /// When.
    pub at: Timestamp,
    /// Who.
    pub actor: UserName,
    /// What.
    pub action: DemoAction,
}

/// An action of the demo's past.
#[derive(Debug, Clone, PartialEq)]
pub enum DemoAction {
    /// Request a pointer move.
    Request {
        /// The model.
        model: ModelName,
        /// The version.
        version: VersionId,
        /// The pointer.
        pointer: PointerName,
        /// Why.
        reason: String,
    },
    /// Approve a request (numbered from 1 in a new workspace).
    Approve {
        /// Which request.
        request: RequestId,
        /// Why.
        reason: Option<String>,
    },
}

/// A small, fast, well-mixed generator (SplitMix64), so the demo is the same on every machine.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform number in [-1, 1).
    fn jitter(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

struct SignalPlan {
    signal: &'static str,
    /// The value now.
    now: f64,
    /// The typical value earlier in the day.
    before: f64,
    /// Relative noise around `before`.
    noise: f64,
    /// Hours since the last reading (a quiet feed stops reporting).
    silent_for: f64,
    source: &'static str,
    note: Option<&'static str>,
    whole: bool,
}

const HISTORY_HOURS: usize = 24;

/// Generates the demo workspace as of `now`.
pub fn generate(seed: u64, now: Timestamp) -> DemoWorkspace {
    let mut rng = SplitMix64(seed);
    let mut models = vec![
        model(
            &mut rng,
            "churn",
            "predicts which subscribers cancel within 30 days",
            5,
            &[("production", 2), ("champion", 3), ("staging", 4)],
            now,
        ),
        model(
            &mut rng,
            "fraud-score",
            "scores card transactions for fraud in real time",
            3,
            &[("production", 2), ("staging", 3)],
            now,
        ),
        model(
            &mut rng,
            "ltv-forecast",
            "forecasts 12-month customer lifetime value",
            2,
            &[("production", 1)],
            now,
        ),
    ];
    models.sort_by(|a, b| a.name.cmp(&b.name));

    let plans = [
        SignalPlan {
            signal: "data.schema_violations",
            now: 3.0,
            before: 0.0,
            noise: 0.0,
            silent_for: 0.4,
            source: "batch:2026-11-26T14",
            note: Some("column tenure_months arrived as string in 3 of 12 files"),
            whole: true,
        },
        SignalPlan {
            signal: "data.missing_rate",
            now: 0.021,
            before: 0.018,
            noise: 0.15,
            silent_for: 0.4,
            source: "batch:2026-11-26T14",
            note: None,
            whole: false,
        },
        SignalPlan {
            signal: "data.freshness_hours",
            now: 1.5,
            before: 2.0,
            noise: 0.4,
            silent_for: 0.4,
            source: "batch:2026-11-26T14",
            note: None,
            whole: false,
        },
        SignalPlan {
            signal: "model.auc",
            now: 0.861,
            before: 0.861,
            noise: 0.0,
            silent_for: 5.0,
            source: "run:churn-v5",
            note: Some("candidate v5, holdout of 48,210 rows"),
            whole: false,
        },
        SignalPlan {
            signal: "model.auc_delta_vs_champion",
            now: 0.012,
            before: 0.012,
            noise: 0.0,
            silent_for: 5.0,
            source: "run:churn-v5",
            note: Some("v5 against champion v3"),
            whole: false,
        },
        SignalPlan {
            signal: "model.worst_segment_auc",
            now: 0.791,
            before: 0.791,
            noise: 0.0,
            silent_for: 5.0,
            source: "run:churn-v5",
            note: Some("segment emea × monthly"),
            whole: false,
        },
        SignalPlan {
            signal: "promotion.approvals",
            now: 1.0,
            before: 0.0,
            noise: 0.0,
            silent_for: 1.2,
            source: "request:churn-v4-production",
            note: Some("v4 → production, approved by priya; waiting for a second approver"),
            whole: true,
        },
        SignalPlan {
            signal: "rollout.error_rate_ratio",
            now: 1.08,
            before: 1.05,
            noise: 0.05,
            silent_for: 0.1,
            source: "canary:churn-v3",
            note: None,
            whole: false,
        },
        SignalPlan {
            signal: "rollout.p95_latency_ms",
            now: 184.0,
            before: 180.0,
            noise: 0.06,
            silent_for: 0.1,
            source: "canary:churn-v3",
            note: None,
            whole: false,
        },
        SignalPlan {
            signal: "labels.fresh_rows",
            now: 3120.0,
            before: 2600.0,
            noise: 0.1,
            silent_for: 31.0,
            source: "labels:churn-outcomes",
            note: Some("label feed silent since yesterday"),
            whole: true,
        },
    ];
    let churn = ModelName::from("churn");
    let mut readings = Vec::new();
    for plan in &plans {
        let last = now.hours_before(plan.silent_for);
        for h in (1..HISTORY_HOURS).rev() {
            let mut value = plan.before * (1.0 + plan.noise * rng.jitter());
            if plan.whole {
                value = value.round();
            }
            readings.push(Reading {
                model: churn.clone(),
                signal: SignalName::from(plan.signal),
                value: round4(value),
                read_at: last.hours_before(h as f64),
                source: plan.source.into(),
                note: None,
            });
        }
        readings.push(Reading {
            model: churn.clone(),
            signal: SignalName::from(plan.signal),
            value: plan.now,
            read_at: last,
            source: plan.source.into(),
            note: plan.note.map(str::to_owned),
        });
    }
    let (reference, windows) = serving_stream(&mut rng, now);
    // The retrain trigger reads what the drift engine finds in each window, like a real monitor.
    let board = drift_board(&churn, &DriftRules::default(), &reference, &windows)
        .map_err(|e| e.to_string());
    if let Ok(board) = &board {
        for w in &board.windows {
            let drifting: Vec<&str> = board
                .features
                .iter()
                .filter(|f| f.points.iter().any(|p| p.at == w.end && p.drifted))
                .map(|f| f.name.as_str())
                .collect();
            readings.push(Reading {
                model: churn.clone(),
                signal: SignalName::from("monitor.share_drifted"),
                value: round4(w.share_drifted),
                read_at: w.end,
                source: "drift:churn-serving".into(),
                note: Some(format!(
                    "{} of {} features drifting{}{}",
                    drifting.len(),
                    board.features.len(),
                    if drifting.is_empty() { "" } else { ": " },
                    drifting.join(", ")
                )),
            });
        }
    }
    readings.sort_by_key(|r| r.read_at);

    let step = |hours_ago: f64, actor: &str, action: DemoAction| DemoStep {
        at: now.hours_before(hours_ago),
        actor: UserName::from(actor),
        action,
    };
    let request = |version: &str, reason: &str| DemoAction::Request {
        model: churn.clone(),
        version: VersionId::from(version),
        pointer: PointerName::from("production"),
        reason: reason.into(),
    };
    let approve = |id: i64, reason: &str| DemoAction::Approve {
        request: RequestId(id),
        reason: Some(reason.into()),
    };
    let history = vec![
        step(
            9.0 * 24.0 + 3.0,
            "priya",
            request("3", "v3 beats v2 on AUC by 1.4 points and on every segment"),
        ),
        step(
            9.0 * 24.0 + 2.0,
            "marco",
            approve(1, "canary plan reviewed"),
        ),
        step(
            9.0 * 24.0 + 1.0,
            "erin",
            approve(1, "lineage and data contract checked"),
        ),
        step(
            1.5,
            "dana",
            request(
                "4",
                "v4 retrained on November data; validation report attached",
            ),
        ),
        step(1.2, "priya", approve(2, "metrics hold on the emea segment")),
    ];

    DemoWorkspace {
        policy: POLICY.to_owned(),
        models,
        readings,
        reference,
        windows,
        history,
    }
}

/// A standard normal draw (Box–Muller).
fn gauss(rng: &mut SplitMix64) -> f64 {
    let u1 = ((rng.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
    let u2 = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A category drawn with the given weights.
fn pick<'a>(rng: &mut SplitMix64, options: &[(&'a str, f64)]) -> &'a str {
    let total: f64 = options.iter().map(|(_, w)| w).sum();
    let mut x = (rng.jitter() + 1.0) / 2.0 * total;
    for (name, w) in options {
        if x < *w {
            return name;
        }
        x -= w;
    }
    options.last().map(|(n, _)| *n).unwrap_or("")
}

const REFERENCE_ROWS: usize = 2000;
const WINDOW_ROWS: usize = 400;
const WINDOWS: usize = 24;

/// The churn model's features: `t` runs from 0 (training) to 1 (now); tenure and support calls
/// drift as t grows, the contract mix moves a little, monthly spend starts to go missing.
fn features_at(rng: &mut SplitMix64, rows: usize, t: f64) -> BTreeMap<String, SampleValues> {
    let mut tenure = Vec::with_capacity(rows);
    let mut spend = Vec::with_capacity(rows);
    let mut calls = Vec::with_capacity(rows);
    let mut plan = Vec::with_capacity(rows);
    let mut region = Vec::with_capacity(rows);
    let mut contract = Vec::with_capacity(rows);
    // The first 40 % of the stream looks like training; then the shift sets in. Past t = 1 (the
    // live stream after creation) it grows slowly, capped so numbers stay plausible.
    let late = ((t.min(2.0) - 0.4) / 0.6).max(0.0);
    // At t = 1.3 a new market opens: the region mix jumps at once.
    let regions: [(&str, f64); 3] = if t >= 1.3 {
        [("amer", 0.35), ("emea", 0.30), ("apac", 0.35)]
    } else {
        [("amer", 0.45), ("emea", 0.40), ("apac", 0.15)]
    };
    let missing_spend = 0.02 + 0.10 * late * late;
    for _ in 0..rows {
        tenure.push(
            ((24.0 + 6.0 * late.powf(1.5) + 8.0 * gauss(rng)).max(0.0) * 10.0).round() / 10.0,
        );
        let s = 52.0 + 12.0 * gauss(rng);
        let missing = (rng.jitter() + 1.0) / 2.0 < missing_spend;
        spend.push(if missing {
            f64::NAN
        } else {
            (s * 100.0).round() / 100.0
        });
        calls.push(
            (2.0 + 1.2 * late * late + 1.5 * gauss(rng))
                .max(0.0)
                .round(),
        );
        plan.push(Some(
            pick(rng, &[("basic", 0.55), ("pro", 0.35), ("enterprise", 0.10)]).to_owned(),
        ));
        region.push(Some(pick(rng, &regions).to_owned()));
        contract.push(Some(
            pick(
                rng,
                &[
                    ("monthly", 0.60 + 0.08 * late),
                    ("annual", 0.40 - 0.08 * late),
                ],
            )
            .to_owned(),
        ));
    }
    [
        ("contract_type", SampleValues::Categorical(contract)),
        ("monthly_spend", SampleValues::Numerical(spend)),
        ("plan", SampleValues::Categorical(plan)),
        ("region", SampleValues::Categorical(region)),
        ("support_calls_30d", SampleValues::Numerical(calls)),
        ("tenure_months", SampleValues::Numerical(tenure)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// How far the live stream has gone after `windows_so_far` windows: 24 windows make t = 1; each
/// further window adds 0.03.
fn stream_t(windows_so_far: u64) -> f64 {
    if windows_so_far < WINDOWS as u64 {
        windows_so_far as f64 / (WINDOWS - 1) as f64
    } else {
        1.0 + (windows_so_far + 1 - WINDOWS as u64) as f64 * 0.03
    }
}

/// The demo's serving stream going on after creation: window number `n` (counting from 0, so
/// the first live one is 24), deterministic in `seed` and `n`. Drift keeps growing, and from the
/// tenth live window the region mix jumps, so the Drift view moves while you watch.
pub fn live_window(seed: u64, n: u64, start: Timestamp, end: Timestamp) -> SampleWindow {
    let mut rng = SplitMix64(seed ^ n.wrapping_mul(0x2545_F491_4F6C_DD1D));
    SampleWindow {
        start,
        end,
        features: features_at(&mut rng, WINDOW_ROWS, stream_t(n)),
    }
}

/// The version of the demo's canary whose error rate degrades on live traffic: the one the
/// `production` pointer holds when the demo is created.
pub const DEGRADING_CANARY: &str = "3";

/// How many readings of each canary signal the demo is created with.
pub const CANARY_HISTORY: u64 = HISTORY_HOURS as u64;

/// The `k`-th live measurement (counting from 0) of the demo's canary, `version`, taken at `at`:
/// deterministic in `seed` and `k`. [`DEGRADING_CANARY`] starts healthy and then its error rate
/// climbs past twice the stable one and its latency creeps up, so the analysis fails at the
/// fourth measurement; any other version (the stable one after a rollback) stays healthy.
pub fn canary_measurement(
    seed: u64,
    k: u64,
    model: &ModelName,
    version: &VersionId,
    at: Timestamp,
) -> Vec<Reading> {
    let mut rng = SplitMix64(seed ^ k.wrapping_mul(0x9FB2_1C65_1E98_DF25) ^ 0xCA4A_2C0D);
    let degrading = version.as_str() == DEGRADING_CANARY;
    let step = k.min(8) as f64;
    let (ratio, latency) = if degrading {
        let ratio = if k == 0 { 1.25 } else { 1.95 + 0.25 * step };
        (ratio.min(3.4), (186.0 + 24.0 * step).min(340.0))
    } else {
        (1.0, 178.0)
    };
    let source = format!("canary:{model}-v{version}");
    let reading = |signal: &str, value: f64| Reading {
        model: model.clone(),
        signal: SignalName::from(signal),
        value,
        read_at: at,
        source: source.clone(),
        note: None,
    };
    vec![
        reading(
            "rollout.error_rate_ratio",
            round4(ratio * (1.0 + 0.03 * rng.jitter())),
        ),
        reading(
            "rollout.p95_latency_ms",
            (latency * (1.0 + 0.03 * rng.jitter())).round(),
        ),
    ]
}

/// The training reference and 24 hourly serving windows ending now.
fn serving_stream(
    rng: &mut SplitMix64,
    now: Timestamp,
) -> (BTreeMap<String, SampleValues>, Vec<SampleWindow>) {
    let reference = features_at(rng, REFERENCE_ROWS, 0.0);
    let windows = (0..WINDOWS)
        .map(|i| {
            let t = i as f64 / (WINDOWS - 1) as f64;
            let hours_ago = (WINDOWS - 1 - i) as f64;
            SampleWindow {
                start: now.hours_before(hours_ago + 1.0),
                end: now.hours_before(hours_ago),
                features: features_at(rng, WINDOW_ROWS, t),
            }
        })
        .collect();
    (reference, windows)
}

fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

fn model(
    rng: &mut SplitMix64,
    name: &str,
    description: &str,
    versions: u32,
    pointers: &[(&str, u32)],
    now: Timestamp,
) -> Model {
    let base_auc = 0.80 + 0.02 * rng.jitter().abs();
    let versions: Vec<ModelVersion> = (1..=versions)
        .map(|v| {
            let age_days = f64::from(versions - v) * 9.0 + 2.0;
            let auc = round4(base_auc + 0.012 * f64::from(v) + 0.004 * rng.jitter());
            let mut metrics = BTreeMap::new();
            metrics.insert("auc".to_owned(), auc);
            metrics.insert(
                "log_loss".to_owned(),
                round4(0.52 - 0.5 * (auc - 0.8) + 0.01 * rng.jitter()),
            );
            metrics.insert(
                "precision_at_10pct".to_owned(),
                round4(0.42 + 0.8 * (auc - 0.8)),
            );
            let mut tags = BTreeMap::new();
            tags.insert("framework".to_owned(), "lightgbm 4.5".to_owned());
            tags.insert(
                "trained_by".to_owned(),
                if v % 2 == 0 { "priya" } else { "sam" }.to_owned(),
            );
            ModelVersion {
                version: VersionId(v.to_string()),
                run_id: format!("{:016x}", rng.next_u64()),
                created_at: now.hours_before(age_days * 24.0),
                metrics,
                tags,
                data_version: Some(format!(
                    "{name}-features@2026-{:02}-{:02}",
                    6 + v.min(5),
                    1 + (v * 7) % 28
                )),
                code_commit: Some(format!("{:07x}", rng.next_u64() >> 36)),
            }
        })
        .collect();
    Model {
        name: ModelName::from(name),
        description: description.to_owned(),
        pointers: pointers
            .iter()
            .map(|(p, v)| (PointerName::from(*p), VersionId(v.to_string())))
            .collect(),
        versions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;

    #[test]
    fn drift_grows_over_the_serving_stream() {
        let now = Timestamp(1_800_000_000_000);
        let demo = generate(DEFAULT_SEED, now);
        let share = |r: &Reading| r.value;
        let drift: Vec<f64> = demo
            .readings
            .iter()
            .filter(|r| r.signal.as_str() == "monitor.share_drifted")
            .map(share)
            .collect();
        assert_eq!(drift.len(), 24, "one reading per window");
        assert_eq!(drift[0], 0.0, "the first window looks like training");
        let last = drift[23];
        assert!(
            last > 0.0 && last < 0.5,
            "some features drift, not yet half: {last}"
        );
        let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
        assert!(
            mean(&drift[18..]) > mean(&drift[..6]),
            "drift grows: {drift:?}"
        );
    }

    #[test]
    fn the_demo_canary_fails_its_analysis_at_the_fourth_live_measurement() {
        let policy = Policy::parse(POLICY, "gatehouse.toml").unwrap();
        let rules = policy.rollout.unwrap();
        let (churn, v3) = (ModelName::from("churn"), VersionId::from(DEGRADING_CANARY));
        let now = Timestamp(1_800_000_000_000);
        let demo = generate(DEFAULT_SEED, now);
        // What the analysis sees after k live measurements: the newest `count` of each signal.
        let verdict_after = |version: &VersionId, k: u64| {
            let verdicts = rules.metrics.iter().map(|spec| {
                let crate::rollout::MetricSource::Signal(signal) = &spec.source else {
                    panic!("the demo measures its own signals");
                };
                let mut series: Vec<(Timestamp, Option<f64>)> = demo
                    .readings
                    .iter()
                    .filter(|r| r.signal == *signal)
                    .map(|r| (r.read_at, Some(r.value)))
                    .collect();
                for i in 0..k {
                    let at = Timestamp(now.0 + 10_000 * (i as i64 + 1));
                    for r in canary_measurement(DEFAULT_SEED, i, &churn, version, at) {
                        if r.signal == *signal {
                            series.push((r.read_at, Some(r.value)));
                        }
                    }
                }
                crate::rollout::analyze_metric(spec, &series, "v3").verdict
            });
            crate::rollout::overall(verdicts)
        };
        use crate::rollout::Verdict;
        let verdicts: Vec<Verdict> = (0..=5).map(|k| verdict_after(&v3, k)).collect();
        assert_eq!(
            verdicts,
            [
                Verdict::Successful,
                Verdict::Successful,
                Verdict::Successful,
                Verdict::Successful,
                Verdict::Failed,
                Verdict::Failed
            ]
        );
        // The stable version stays healthy however long it is measured.
        assert_eq!(
            verdict_after(&VersionId::from("2"), 12),
            Verdict::Successful
        );
        assert_eq!(
            canary_measurement(7, 3, &churn, &v3, now),
            canary_measurement(7, 3, &churn, &v3, now)
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_workspace() {
        let now = Timestamp(1_800_000_000_000);
        // Debug text, because missing values are NaN and NaN != NaN.
        assert_eq!(
            format!("{:?}", generate(7, now)),
            format!("{:?}", generate(7, now))
        );
        assert_ne!(generate(7, now).models, generate(8, now).models);
    }

    #[test]
    fn the_demo_policy_parses_and_names_an_owner_for_every_gate() {
        let policy = Policy::parse(POLICY, "gatehouse.toml").unwrap();
        assert!(policy.demo);
        for gate in &policy.gates {
            assert!(policy.owner_of(gate).assigned, "{} has no owner", gate.id);
            // The rollout gate is judged by the canary analysis instead of checks.
            let analysed = gate.id.as_str() == crate::rollout_view::ROLLOUT_GATE
                && policy
                    .rollout
                    .as_ref()
                    .is_some_and(|r| !r.metrics.is_empty());
            assert!(
                analysed || !gate.checks.is_empty(),
                "{} has no checks",
                gate.id
            );
        }
        let approvers = policy
            .users
            .values()
            .filter(|u| u.roles.contains(&crate::policy::Role::Approver))
            .count();
        assert!(approvers >= 2);
    }
}
