//! The rollout gate: canary and shadow analysis with Argo Rollouts' AnalysisRun semantics, and
//! the rollback it proposes (or, where the policy allows, performs) when the analysis fails.
//!
//! A metric is measured `count` times, `interval` apart. Each measurement is compared with the
//! metric's failure and success conditions (`value > 2.0`, `value <= 1.5 and value >= 0`); the
//! tallies against the failure and inconclusive limits give the metric's verdict, and the worst
//! metric gives the analysis its verdict. Everything here is pure except [`Rollout`], which runs
//! over the ports and the promotion [`Desk`].

use std::fmt;
use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::access::{authorize, Permission};
use crate::audit::{AuditAction, AuditDraft, AuditEvent};
use crate::error::{Error, ErrorCode, ErrorReport};
use crate::gate::fmt_num;
use crate::hook::{HookDelivery, HookEvent, HookSink};
use crate::policy::{Policy, UserName};
use crate::ports::{PromotionStore, Registry, WorkspaceRead};
use crate::promotion::{Desk, Observer, PromotionRequest, RollbackPlan};
use crate::reading::{ModelName, Reading, SignalName};
use crate::registry::{PointerName, VersionId};
use crate::time::Timestamp;

/// How the new version meets live traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum RolloutKind {
    /// The new version serves a share of real traffic.
    Canary,
    /// The new version receives a mirror of real traffic; its answers reach no user.
    Shadow,
}

/// A comparison operator of a condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }

    fn apply(self, left: f64, right: f64) -> bool {
        match self {
            Op::Lt => left < right,
            Op::Le => left <= right,
            Op::Gt => left > right,
            Op::Ge => left >= right,
            Op::Eq => left == right,
            Op::Ne => left != right,
        }
    }
}

/// A condition over a measured value: `value OP number`, combined with `and` / `or` and
/// parentheses. `and` binds tighter than `or`. A deliberately tiny grammar: nothing in a policy
/// file can run code.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `value OP number`.
    Compare(Op, f64),
    /// Both hold.
    And(Box<Condition>, Box<Condition>),
    /// Either holds.
    Or(Box<Condition>, Box<Condition>),
}

/// A condition that could not be read, with the 1-based column of the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct ConditionError {
    /// Where in the condition text (1-based, in characters).
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl Condition {
    /// Parses a condition such as `value <= 1.5` or `value > 2 or value < 0`.
    pub fn parse(text: &str) -> Result<Condition, ConditionError> {
        let tokens = tokenize(text)?;
        let mut parser = Parser {
            tokens,
            next: 0,
            end: text.chars().count() + 1,
        };
        let condition = parser.or()?;
        match parser.peek() {
            None => Ok(condition),
            Some((column, token)) => Err(ConditionError {
                column,
                message: format!("unexpected {} after a complete condition", token.describe()),
            }),
        }
    }

    /// Whether the condition holds for `value`. NaN satisfies no comparison but `!=`.
    pub fn holds(&self, value: f64) -> bool {
        match self {
            Condition::Compare(op, number) => op.apply(value, *number),
            Condition::And(a, b) => a.holds(value) && b.holds(value),
            Condition::Or(a, b) => a.holds(value) || b.holds(value),
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Compare(op, number) => {
                write!(f, "value {} {}", op.symbol(), fmt_num(*number))
            }
            Condition::And(a, b) => {
                let side = |c: &Condition| match c {
                    Condition::Or(..) => format!("({c})"),
                    _ => c.to_string(),
                };
                write!(f, "{} and {}", side(a), side(b))
            }
            Condition::Or(a, b) => write!(f, "{a} or {b}"),
        }
    }
}

impl Serialize for Condition {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Condition {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Condition::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Value,
    And,
    Or,
    Op(Op),
    Number(f64),
    Open,
    Close,
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Value => "`value`".into(),
            Token::And => "`and`".into(),
            Token::Or => "`or`".into(),
            Token::Op(op) => format!("`{}`", op.symbol()),
            Token::Number(n) => format!("number {}", fmt_num(*n)),
            Token::Open => "`(`".into(),
            Token::Close => "`)`".into(),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<(usize, Token)>, ConditionError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        let (token, len) = match (c, two.as_str()) {
            (_, "<=") => (Token::Op(Op::Le), 2),
            (_, ">=") => (Token::Op(Op::Ge), 2),
            (_, "==") => (Token::Op(Op::Eq), 2),
            (_, "!=") => (Token::Op(Op::Ne), 2),
            ('<', _) => (Token::Op(Op::Lt), 1),
            ('>', _) => (Token::Op(Op::Gt), 1),
            ('(', _) => (Token::Open, 1),
            (')', _) => (Token::Close, 1),
            (c, _) if c.is_ascii_alphabetic() || c == '_' => {
                let len = chars[i..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
                    .count();
                let word: String = chars[i..i + len].iter().collect();
                let token = match word.as_str() {
                    "value" => Token::Value,
                    "and" => Token::And,
                    "or" => Token::Or,
                    _ => {
                        return Err(ConditionError {
                            column,
                            message: format!(
                            "unknown word `{word}`: a condition knows only `value`, `and` and `or`"
                        ),
                        })
                    }
                };
                (token, len)
            }
            (c, _) if c.is_ascii_digit() || c == '-' || c == '+' || c == '.' => {
                let mut len = 1;
                while i + len < chars.len() {
                    let d = chars[i + len];
                    let exponent_sign =
                        matches!(d, '-' | '+') && matches!(chars[i + len - 1], 'e' | 'E');
                    if d.is_ascii_digit() || matches!(d, '.' | 'e' | 'E') || exponent_sign {
                        len += 1;
                    } else {
                        break;
                    }
                }
                let literal: String = chars[i..i + len].iter().collect();
                match literal.parse::<f64>() {
                    Ok(n) if n.is_finite() => (Token::Number(n), len),
                    _ => {
                        return Err(ConditionError {
                            column,
                            message: format!("`{literal}` is not a finite number"),
                        })
                    }
                }
            }
            (c, _) => {
                return Err(ConditionError {
                    column,
                    message: format!("unexpected character `{c}`"),
                })
            }
        };
        tokens.push((column, token));
        i += len;
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<(usize, Token)>,
    next: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<(usize, Token)> {
        self.tokens.get(self.next).cloned()
    }

    fn bump(&mut self) -> Option<(usize, Token)> {
        let token = self.peek();
        self.next += 1;
        token
    }

    fn expected(&self, what: &str, found: Option<(usize, Token)>) -> ConditionError {
        match found {
            Some((column, token)) => ConditionError {
                column,
                message: format!("expected {what}, found {}", token.describe()),
            },
            None => ConditionError {
                column: self.end,
                message: format!("expected {what}, found the end"),
            },
        }
    }

    fn or(&mut self) -> Result<Condition, ConditionError> {
        let mut left = self.and()?;
        while matches!(self.peek(), Some((_, Token::Or))) {
            self.bump();
            left = Condition::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Condition, ConditionError> {
        let mut left = self.atom()?;
        while matches!(self.peek(), Some((_, Token::And))) {
            self.bump();
            left = Condition::And(Box::new(left), Box::new(self.atom()?));
        }
        Ok(left)
    }

    fn atom(&mut self) -> Result<Condition, ConditionError> {
        match self.bump() {
            Some((_, Token::Open)) => {
                let inner = self.or()?;
                match self.bump() {
                    Some((_, Token::Close)) => Ok(inner),
                    other => Err(self.expected("`)`", other)),
                }
            }
            Some((_, Token::Value)) => {
                let op = match self.bump() {
                    Some((_, Token::Op(op))) => op,
                    other => return Err(self.expected("a comparison (< <= > >= == !=)", other)),
                };
                match self.bump() {
                    Some((_, Token::Number(n))) => Ok(Condition::Compare(op, n)),
                    other => Err(self.expected("a number", other)),
                }
            }
            other => Err(self.expected("`value` or `(`", other)),
        }
    }
}

/// Where a metric's measurements come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum MetricSource {
    /// The workspace's own readings of a signal.
    Signal(SignalName),
    /// A PromQL query against the metrics back end: a template in which `{{canary}}`,
    /// `{{stable}}` and `{{model}}` stand for the version under analysis, the version a rollback
    /// would return to, and the model. It must evaluate to one number.
    Query(String),
}

/// The placeholders a query template may use.
const PLACEHOLDERS: [&str; 3] = ["canary", "stable", "model"];

/// Checks that every `{{…}}` in a query template is a known placeholder; the error names the
/// first that is not.
pub fn check_query_template(template: &str) -> Result<(), String> {
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            return Err("`{{` without a closing `}}`".into());
        };
        let name = after[..close].trim();
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "unknown placeholder `{{{{{name}}}}}`: a query knows `{{{{canary}}}}`, `{{{{stable}}}}` and `{{{{model}}}}`"
            ));
        }
        rest = &after[close + 2..];
    }
    Ok(())
}

/// The query a template stands for, with the canary, the stable version and the model filled
/// in. Values are identifiers of letters, digits, `-`, `_` and `.` (checked here), so they can
/// never change the query's shape.
pub fn render_query(
    template: &str,
    model: &ModelName,
    canary: &VersionId,
    stable: Option<&VersionId>,
) -> Result<String, Error> {
    check_query_template(template).map_err(Error::Invalid)?;
    let plain = |what: &str, v: &str| {
        let ok = !v.is_empty()
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if ok {
            Ok(v.to_owned())
        } else {
            Err(Error::Invalid(format!(
                "the {what} `{v}` cannot go into a query: only letters, digits, `-`, `_` and `.`"
            )))
        }
    };
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let close = after.find("}}").unwrap_or(after.len());
        let value = match after[..close].trim() {
            "canary" => plain("canary version", canary.as_str())?,
            "stable" => match stable {
                Some(v) => plain("stable version", v.as_str())?,
                None => {
                    return Err(Error::Invalid(format!(
                        "the query names `{{{{stable}}}}`, but the audit log records no version {model} held before {canary}"
                    )))
                }
            },
            _ => plain("model", model.as_str())?,
        };
        out.push_str(&value);
        rest = after.get(close + 2..).unwrap_or("");
    }
    out.push_str(rest);
    Ok(out)
}

/// A metric of the rollout analysis, as the policy defines it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct MetricSpec {
    /// A name for people, such as `error rate`.
    pub name: String,
    /// Where its values come from.
    pub source: MetricSource,
    /// A measurement for which this holds is successful.
    #[cfg_attr(feature = "bindings", ts(type = "string | null"))]
    pub success: Option<Condition>,
    /// A measurement for which this holds is failed (it wins over `success`).
    #[cfg_attr(feature = "bindings", ts(type = "string | null"))]
    pub failure: Option<Condition>,
    /// Seconds between measurements.
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub interval_seconds: u64,
    /// How many measurements make a complete analysis.
    pub count: u32,
    /// Failed measurements tolerated; one more fails the metric.
    pub failure_limit: u32,
    /// Inconclusive measurements tolerated; one more makes the metric inconclusive.
    pub inconclusive_limit: u32,
    /// Whether a value is the canary's over the stable version's, so that it reads as `2.4×
    /// stable` in explanations.
    pub ratio_to_stable: bool,
}

/// The rollout policy: `[rollout]` in `gatehouse.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct RolloutPolicy {
    /// Canary or shadow.
    pub kind: RolloutKind,
    /// The pointer being rolled out; its previous version is the stable one.
    pub pointer: PointerName,
    /// Whether a failed analysis rolls back by itself (otherwise a person confirms).
    pub auto_rollback: bool,
    /// The metrics, in order.
    pub metrics: Vec<MetricSpec>,
}

/// Consecutive errors (no value) that end a metric in error, as Argo's default
/// `consecutiveErrorLimit` does.
pub const CONSECUTIVE_ERROR_LIMIT: u32 = 4;

/// What one measurement says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The success condition holds (and the failure condition does not).
    Successful,
    /// The failure condition holds, or the success condition alone is given and does not hold.
    Failed,
    /// Neither condition holds.
    Inconclusive,
    /// There was no value to compare.
    Error,
}

/// The verdict on a metric or on the whole analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every measurement is in and no limit was crossed: the gate passes.
    Successful,
    /// Measurements are still to come.
    Running,
    /// Too many inconclusive measurements: a person decides.
    Inconclusive,
    /// Too many consecutive measurements had no value.
    Error,
    /// Too many failed measurements: the gate blocks and a rollback is proposed.
    Failed,
}

impl Verdict {
    /// The identifier used in JSON and text.
    pub fn id(self) -> &'static str {
        match self {
            Verdict::Successful => "successful",
            Verdict::Running => "running",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Error => "error",
            Verdict::Failed => "failed",
        }
    }
}

/// Classifies one measured value against a metric's conditions (Argo's `evaluateResult`).
pub fn classify(
    value: Option<f64>,
    success: Option<&Condition>,
    failure: Option<&Condition>,
) -> Outcome {
    let Some(value) = value.filter(|v| !v.is_nan()) else {
        return Outcome::Error;
    };
    match (success, failure) {
        (None, None) => Outcome::Successful,
        (Some(s), None) => {
            if s.holds(value) {
                Outcome::Successful
            } else {
                Outcome::Failed
            }
        }
        (None, Some(f)) => {
            if f.holds(value) {
                Outcome::Failed
            } else {
                Outcome::Successful
            }
        }
        (Some(s), Some(f)) => {
            if f.holds(value) {
                Outcome::Failed
            } else if s.holds(value) {
                Outcome::Successful
            } else {
                Outcome::Inconclusive
            }
        }
    }
}

/// One measurement of a metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Measurement {
    /// The measured value; none when the measurement had no value.
    pub value: Option<f64>,
    /// When it was taken.
    pub at: Timestamp,
    /// What it says.
    pub outcome: Outcome,
}

/// How many measurements said what.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Tally {
    /// Successful measurements.
    pub successful: u32,
    /// Failed measurements.
    pub failed: u32,
    /// Inconclusive measurements.
    pub inconclusive: u32,
    /// Measurements without a value.
    pub error: u32,
    /// The longest run of errors at the end.
    pub consecutive_errors: u32,
}

impl Tally {
    /// Counts `outcomes`, oldest first.
    pub fn of(outcomes: impl IntoIterator<Item = Outcome>) -> Tally {
        let mut tally = Tally::default();
        for outcome in outcomes {
            match outcome {
                Outcome::Successful => tally.successful += 1,
                Outcome::Failed => tally.failed += 1,
                Outcome::Inconclusive => tally.inconclusive += 1,
                Outcome::Error => tally.error += 1,
            }
            tally.consecutive_errors = match outcome {
                Outcome::Error => tally.consecutive_errors + 1,
                Outcome::Successful | Outcome::Failed | Outcome::Inconclusive => 0,
            };
        }
        tally
    }

    /// All measurements taken.
    pub fn taken(&self) -> u32 {
        self.successful + self.failed + self.inconclusive + self.error
    }
}

/// A metric's verdict from its tally (Argo's `assessMetricStatus`): failed when failures exceed
/// the failure limit, inconclusive when inconclusives exceed theirs, error after too many
/// consecutive errors, successful once `count` measurements are in, running before.
pub fn verdict_of(
    tally: &Tally,
    count: u32,
    failure_limit: u32,
    inconclusive_limit: u32,
) -> Verdict {
    if tally.failed > failure_limit {
        Verdict::Failed
    } else if tally.inconclusive > inconclusive_limit {
        Verdict::Inconclusive
    } else if tally.consecutive_errors > CONSECUTIVE_ERROR_LIMIT {
        Verdict::Error
    } else if tally.taken() >= count {
        Verdict::Successful
    } else {
        Verdict::Running
    }
}

/// The analysis of one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct MetricAnalysis {
    /// The metric as the policy defines it.
    pub spec: MetricSpec,
    /// Its measurements, oldest first (at most `count`).
    pub measurements: Vec<Measurement>,
    /// Their tally.
    pub tally: Tally,
    /// The metric's verdict.
    pub verdict: Verdict,
    /// Why, in words.
    pub explanation: String,
    /// When the next measurement is due, while running.
    pub next_due: Option<Timestamp>,
}

/// Analyses one metric from its measured values, oldest first; only the newest `count` count.
/// `subject` names the version under analysis in the explanation (such as `v8`).
pub fn analyze_metric(
    spec: &MetricSpec,
    values: &[(Timestamp, Option<f64>)],
    subject: &str,
) -> MetricAnalysis {
    let keep = values.len().saturating_sub(spec.count as usize);
    let measurements: Vec<Measurement> = values[keep..]
        .iter()
        .map(|(at, value)| Measurement {
            value: *value,
            at: *at,
            outcome: classify(*value, spec.success.as_ref(), spec.failure.as_ref()),
        })
        .collect();
    let tally = Tally::of(measurements.iter().map(|m| m.outcome));
    let verdict = verdict_of(
        &tally,
        spec.count,
        spec.failure_limit,
        spec.inconclusive_limit,
    );
    let next_due = match verdict {
        Verdict::Running => measurements.last().map(|m| {
            Timestamp(
                m.at.0 + i64::try_from(spec.interval_seconds).unwrap_or(i64::MAX / 2000) * 1000,
            )
        }),
        Verdict::Successful | Verdict::Inconclusive | Verdict::Error | Verdict::Failed => None,
    };
    let explanation = explain(spec, &measurements, &tally, verdict, subject);
    MetricAnalysis {
        spec: spec.clone(),
        measurements,
        tally,
        verdict,
        explanation,
        next_due,
    }
}

/// The explanation of a metric's verdict for a person, such as "error rate of v8 failed
/// `value > 2` in 3 of 5 checks (worst 2.4); limit 2".
fn explain(
    spec: &MetricSpec,
    measurements: &[Measurement],
    tally: &Tally,
    verdict: Verdict,
    subject: &str,
) -> String {
    let of = format!("{} of {subject}", spec.name);
    let values = |outcome: Outcome| -> Vec<f64> {
        measurements
            .iter()
            .filter(|m| m.outcome == outcome)
            .filter_map(|m| m.value)
            .collect()
    };
    let worst = |vs: Vec<f64>| {
        vs.into_iter()
            .fold(None, |acc: Option<f64>, v| {
                Some(acc.map_or(v, |a| a.max(v)))
            })
            .map(|v| format!(" (worst {})", fmt_num(v)))
            .unwrap_or_default()
    };
    let condition = |c: Option<&Condition>, fallback: &str| {
        c.map(|c| format!("`{c}`"))
            .unwrap_or_else(|| fallback.to_owned())
    };
    let taken = tally.taken();
    match verdict {
        // "error rate of v8 was up to 2.4× stable: `value > 2` in 3 of 5 checks; limit 2"
        Verdict::Failed if spec.ratio_to_stable => format!(
            "{of} was up to {:.1}× stable: {} in {} of {taken} checks; limit {}",
            // A failed metric has failed measurements, and they have values; a ratio reads best
            // to a tenth.
            values(Outcome::Failed).into_iter().fold(f64::NAN, f64::max),
            condition(spec.failure.as_ref(), "its condition missed"),
            tally.failed,
            spec.failure_limit
        ),
        Verdict::Failed => format!(
            "{of} {} in {} of {taken} checks{}; limit {}",
            match &spec.failure {
                Some(f) => format!("met the failure condition `{f}`"),
                None => format!("missed {}", condition(spec.success.as_ref(), "its condition")),
            },
            tally.failed,
            worst(values(Outcome::Failed)),
            spec.failure_limit
        ),
        Verdict::Inconclusive => format!(
            "{of} met neither {} nor {} in {} of {taken} checks; limit {}: a person decides",
            condition(spec.success.as_ref(), "the success condition"),
            condition(spec.failure.as_ref(), "the failure condition"),
            tally.inconclusive,
            spec.inconclusive_limit
        ),
        Verdict::Error => format!(
            "{of} had no value in the last {} checks; limit {CONSECUTIVE_ERROR_LIMIT}",
            tally.consecutive_errors
        ),
        Verdict::Successful => format!(
            "{of} passed: {} of {taken} checks successful, {} failed (limit {}), {} inconclusive (limit {})",
            tally.successful,
            tally.failed,
            spec.failure_limit,
            tally.inconclusive,
            spec.inconclusive_limit
        ),
        Verdict::Running => format!(
            "{of}: {taken} of {} checks in, {} failed (limit {}), {} inconclusive (limit {})",
            spec.count, tally.failed, spec.failure_limit, tally.inconclusive, spec.inconclusive_limit
        ),
    }
}

/// The overall verdict of an analysis: its worst metric's (failed over error over inconclusive
/// over running over successful). An analysis without metrics is successful.
pub fn overall(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
    verdicts.into_iter().max().unwrap_or(Verdict::Successful)
}

/// A whole analysis run over the workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Analysis {
    /// The model.
    pub model: ModelName,
    /// Canary or shadow.
    pub kind: RolloutKind,
    /// The pointer being rolled out.
    pub pointer: PointerName,
    /// The overall verdict.
    pub verdict: Verdict,
    /// Each metric's analysis.
    pub metrics: Vec<MetricAnalysis>,
    /// The explanations of the metrics that decide the verdict, joined.
    pub explanation: String,
}

/// What the rollout gate did about its analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum RollbackAction {
    /// Nothing to do: the analysis did not fail.
    None,
    /// The analysis failed; a person must confirm the rollback.
    Proposed {
        /// Why no rollback ran by itself.
        why_not_automatic: String,
    },
    /// The rule rolled back by itself.
    Executed {
        /// The rollback request it created and executed.
        request: Box<PromotionRequest>,
    },
}

/// The analysis, the rollback it implies and what was done about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct RolloutReport {
    /// The analysis.
    pub analysis: Analysis,
    /// From → to of the rollback a failed analysis proposes.
    pub plan: Option<RollbackPlan>,
    /// What was done.
    pub action: RollbackAction,
    /// The deploy hooks the rule's rollback called, with their answers or failures.
    pub hooks: Vec<HookDelivery>,
}

/// A stored measurement of a PromQL metric: of one metric of the rollout of one version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasurementRecord {
    /// The model.
    pub model: ModelName,
    /// The pointer being rolled out.
    pub pointer: PointerName,
    /// The version under analysis.
    pub canary: VersionId,
    /// The metric's name in the policy.
    pub metric: String,
    /// The instant the query was evaluated at.
    pub at: Timestamp,
    /// The value; none when the query failed or had no data.
    pub value: Option<f64>,
    /// The query as sent, or why there is no value.
    pub detail: String,
}

/// The history of a signal's readings and of the rollout's own measurements: the port the
/// analysis needs beyond [`WorkspaceRead`].
pub trait ReadingHistory {
    /// The newest `limit` readings of `signal` for `model`, oldest first.
    fn readings(
        &self,
        model: &ModelName,
        signal: &SignalName,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Reading>, Error>> + Send;

    /// Stores a measurement; a second one of the same metric, rollout and instant is ignored,
    /// so two processes measuring at once store it once.
    fn record_measurement(
        &self,
        measurement: &MeasurementRecord,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        let _ = measurement;
        async {
            Err(Error::Invalid(
                "this store keeps no rollout measurements: PromQL metrics need the workspace database".into(),
            ))
        }
    }

    /// The measurements of `metric` in the rollout of `canary` to `model@pointer` taken at or
    /// after `since`, oldest first.
    fn measurements(
        &self,
        model: &ModelName,
        pointer: &PointerName,
        canary: &VersionId,
        metric: &str,
        since: Timestamp,
    ) -> impl Future<Output = Result<Vec<MeasurementRecord>, Error>> + Send {
        let _ = (model, pointer, canary, metric, since);
        async { Ok(Vec::new()) }
    }
}

/// The metrics back end, as the analysis needs it: one number per query and instant.
pub trait MetricQuery {
    /// The value of `query` evaluated at `at`. A query that fails or has no data is an error
    /// saying why (counted as a measurement without value); an unreachable back end is
    /// [`Error::Port`] with [`ErrorCode::Unreachable`] (nothing is recorded).
    fn value_at(
        &self,
        query: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<f64, Error>> + Send;
}

/// No metrics back end: the type of [`NO_METRICS`], for callers whose policy names none.
impl MetricQuery for std::convert::Infallible {
    async fn value_at(&self, _query: &str, _at: Timestamp) -> Result<f64, Error> {
        match *self {}
    }
}

/// The metrics back end a live view measures the rollout with: the policy's (none when it names
/// none), or why it cannot be used, such as a credential missing from the keyring.
pub type MetricsBackend<'a, M> = Result<Option<&'a M>, ErrorReport>;

/// No metrics back end, for callers with no Prometheus at hand: a policy with PromQL metrics then
/// shows them unmeasured, saying that `[backends.metrics]` names none.
pub const NO_METRICS: MetricsBackend<'static, std::convert::Infallible> = Ok(None);

/// The login the rollout rule acts under in the audit log when it rolls back by itself.
pub const RULE_ACTOR: &str = "rule:rollout";

/// Where rollout use-cases run: the same parts as the promotion [`Desk`].
pub struct Rollout<'a, S, R> {
    /// The workspace policy.
    pub policy: &'a Policy,
    /// Who acts (for override and abort).
    pub actor: UserName,
    /// Now.
    pub now: Timestamp,
    /// Requests, audit log, readings and workspace state.
    pub store: &'a S,
    /// The registry whose pointers move.
    pub registry: &'a R,
    /// Told at each phase of an execution.
    pub observer: &'a dyn Observer,
    /// Calls the policy's deploy hooks after a rollback or abort moved the pointer.
    pub hooks: &'a dyn HookSink,
}

impl<S, R> Rollout<'_, S, R>
where
    S: PromotionStore + WorkspaceRead + ReadingHistory + Sync,
    R: Registry + Sync,
{
    fn rules(&self) -> Result<&RolloutPolicy, Error> {
        self.policy.rollout.as_ref().ok_or_else(|| {
            Error::NotFound(
                "the policy has no [rollout] section, so there is nothing to analyse".into(),
            )
        })
    }

    fn desk<'b>(&'b self, policy: &'b Policy, actor: UserName) -> Desk<'b, S, R> {
        Desk {
            policy,
            actor,
            now: self.now,
            store: self.store,
            registry: self.registry,
            observer: self.observer,
            hooks: self.hooks,
        }
    }

    /// When the pointer moved to `canary`, as the audit log records it: the start of its
    /// rollout. None when the pointer was set outside Gatehouse.
    async fn started(
        &self,
        rules: &RolloutPolicy,
        canary: &VersionId,
    ) -> Result<Option<Timestamp>, Error> {
        let target = format!("{}@{}", self.policy.model, rules.pointer);
        Ok(rollout_start(
            &self.store.audit_log().await?,
            &target,
            canary,
        ))
    }

    /// The stored measurements of a PromQL metric in the rollout of `canary`.
    async fn measured(
        &self,
        rules: &RolloutPolicy,
        spec: &MetricSpec,
        canary: &VersionId,
        start: Option<Timestamp>,
    ) -> Result<Vec<(Timestamp, Option<f64>)>, Error> {
        Ok(self
            .store
            .measurements(
                &self.policy.model,
                &rules.pointer,
                canary,
                &spec.name,
                start.unwrap_or(Timestamp(i64::MIN)),
            )
            .await?
            .into_iter()
            .map(|m| (m.at, m.value))
            .collect())
    }

    /// Takes the measurements of the policy's PromQL metrics that are due by now and stores
    /// them, querying the metrics back end at each due instant: the first when the pointer moved
    /// to the version under analysis (now, when the audit log does not say), each next one an
    /// interval after the last, until the metric's verdict is in. Missed instants are measured
    /// late from the back end's history, so the analysis does not depend on when it is run.
    /// A query that fails or has no data is stored as a measurement without value (Argo's
    /// error); an unreachable back end stops here and stores nothing. Returns how many were taken.
    pub async fn measure<M: MetricQuery + Sync>(
        &self,
        metrics: Option<&M>,
    ) -> Result<usize, Error> {
        let rules = self.rules()?;
        let queries: Vec<(&MetricSpec, &str)> = rules
            .metrics
            .iter()
            .filter_map(|m| match &m.source {
                MetricSource::Query(q) => Some((m, q.as_str())),
                MetricSource::Signal(_) => None,
            })
            .collect();
        let Some((first, _)) = queries.first() else {
            return Ok(0);
        };
        let Some(metrics) = metrics else {
            return Err(Error::Invalid(format!(
                "rollout metric `{}` is a PromQL query, but [backends.metrics] names no prometheus: set its kind to \"prometheus\" and its url",
                first.name
            )));
        };
        let model = &self.policy.model;
        let Some(canary) = self.registry.pointer(model, &rules.pointer).await? else {
            return Ok(0);
        };
        let start = self.started(rules, &canary).await?;
        let stable = match self
            .desk(self.policy, self.actor.clone())
            .rollback_plan(model, Some(&rules.pointer), None)
            .await
        {
            Ok(plan) => Some(plan.to),
            Err(e) if matches!(e.code(), ErrorCode::Invalid | ErrorCode::NotFound) => None,
            Err(e) => return Err(e),
        };
        let mut taken = 0;
        for (spec, template) in queries {
            let query = render_query(template, model, &canary, stable.as_ref())?;
            let mut values = self.measured(rules, spec, &canary, start).await?;
            let interval = i64::try_from(spec.interval_seconds)
                .unwrap_or(i64::MAX / 2000)
                .saturating_mul(1000);
            let mut due = match values.last() {
                Some((at, _)) => Timestamp(at.0.saturating_add(interval)),
                None => start.unwrap_or(self.now),
            };
            while due <= self.now && analyze_metric(spec, &values, "").verdict == Verdict::Running {
                let (value, detail) = match metrics.value_at(&query, due).await {
                    Ok(v) if v.is_nan() => (None, format!("`{query}` was NaN (no traffic?)")),
                    Ok(v) => (Some(v), query.clone()),
                    Err(e) if e.code() == ErrorCode::Unreachable => return Err(e),
                    Err(e) => (None, e.to_string()),
                };
                self.store
                    .record_measurement(&MeasurementRecord {
                        model: model.clone(),
                        pointer: rules.pointer.clone(),
                        canary: canary.clone(),
                        metric: spec.name.clone(),
                        at: due,
                        value,
                        detail,
                    })
                    .await?;
                values.push((due, value));
                taken += 1;
                due = Timestamp(due.0.saturating_add(interval));
            }
        }
        Ok(taken)
    }

    /// Analyses the rollout of the policy's model from the workspace's readings and the stored
    /// measurements of its PromQL metrics (take them first with [`Rollout::measure`]).
    pub async fn analyze(&self) -> Result<Analysis, Error> {
        let rules = self.rules()?;
        let model = &self.policy.model;
        let canary = self.registry.pointer(model, &rules.pointer).await?;
        let start = match &canary {
            Some(c) => self.started(rules, c).await?,
            None => None,
        };
        let subject = canary
            .as_ref()
            .map(|v| {
                // Registries number their versions; `v8` reads better in a sentence than `8`.
                if v.as_str().chars().all(|c| c.is_ascii_digit()) {
                    format!("v{v}")
                } else {
                    v.to_string()
                }
            })
            .unwrap_or_else(|| format!("{model}@{}", rules.pointer));
        let mut metrics = Vec::new();
        for spec in &rules.metrics {
            let values: Vec<(Timestamp, Option<f64>)> = match &spec.source {
                // Readings from before the pointer moved to this version measured another one.
                MetricSource::Signal(signal) => self
                    .store
                    .readings(model, signal, spec.count)
                    .await?
                    .into_iter()
                    .filter(|r| start.is_none_or(|s| r.read_at >= s))
                    .map(|r| (r.read_at, Some(r.value)))
                    .collect(),
                MetricSource::Query(_) => match &canary {
                    Some(c) => self.measured(rules, spec, c, start).await?,
                    None => Vec::new(),
                },
            };
            metrics.push(analyze_metric(spec, &values, &subject));
        }
        let verdict = overall(metrics.iter().map(|m| m.verdict));
        let explanation = metrics
            .iter()
            .filter(|m| m.verdict == verdict)
            .map(|m| m.explanation.clone())
            .collect::<Vec<_>>()
            .join("; ");
        Ok(Analysis {
            model: model.clone(),
            kind: rules.kind,
            pointer: rules.pointer.clone(),
            verdict,
            metrics,
            explanation,
        })
    }

    /// Analyses, and when the analysis failed proposes the rollback to the stable version, or
    /// performs it as the rule when the policy allows automatic rollback.
    pub async fn evaluate(&self) -> Result<RolloutReport, Error> {
        let analysis = self.analyze().await?;
        let rules = self.rules()?;
        if !matches!(analysis.verdict, Verdict::Failed | Verdict::Error) {
            return Ok(RolloutReport {
                analysis,
                plan: None,
                action: RollbackAction::None,
                hooks: Vec::new(),
            });
        }
        let model = &self.policy.model;
        let plan = self
            .desk(self.policy, self.actor.clone())
            .rollback_plan(model, Some(&rules.pointer), None)
            .await?;
        if !rules.auto_rollback {
            return Ok(RolloutReport {
                analysis,
                plan: Some(plan),
                hooks: Vec::new(),
                action: RollbackAction::Proposed {
                    why_not_automatic: format!(
                        "the policy does not allow automatic rollback of {model}@{}: a person with a role that may roll back confirms",
                        rules.pointer
                    ),
                },
            });
        }
        // The rule acts with the rights that rollback needs: allowing automatic rollback in the
        // policy is what grants them. It appears in the audit log under its own name.
        let mut policy = self.policy.clone();
        let rule = UserName::from(RULE_ACTOR);
        policy.users.insert(
            rule.clone(),
            crate::policy::User {
                name: rule.clone(),
                display_name: "the rollout rule".into(),
                roles: policy.promotion.rollback.clone(),
            },
        );
        let reason = format!("rollout analysis failed: {}", measurements_cited(&analysis));
        let desk = self.desk(&policy, rule);
        let request = desk
            .rollback(model, Some(&plan.pointer), Some(&plan.to), &reason)
            .await?;
        let hooks = desk.hook_deliveries(request.id).await?;
        Ok(RolloutReport {
            analysis,
            plan: Some(plan),
            action: RollbackAction::Executed {
                request: Box::new(request),
            },
            hooks,
        })
    }

    /// Promotes despite the analysis: records the override with a reason, for a role that may
    /// override gates. Denials are audited and return [`Error::Denied`].
    pub async fn override_analysis(&self, reason: &str) -> Result<Analysis, Error> {
        let analysis = self.analyze().await?;
        let target = format!("{}@{}", analysis.model, analysis.pointer);
        self.authorized(Permission::OverrideGates, &target).await?;
        let reason = required_reason(reason, "an override of the rollout analysis")?;
        self.store
            .append_audit(AuditDraft {
                at: self.now,
                actor: self.actor.clone(),
                action: AuditAction::Overridden,
                target,
                before: Some(format!("rollout analysis {}", analysis.verdict.id())),
                after: Some("promoted despite the analysis".into()),
                reason: Some(reason),
                response: None,
                request: None,
            })
            .await?;
        Ok(analysis)
    }

    /// Aborts the rollout: rolls the pointer back to the stable version with a reason, for a
    /// role that may roll back. Hooks subscribed to `abort` are called after the move.
    pub async fn abort(&self, reason: &str) -> Result<PromotionRequest, Error> {
        let rules = self.rules()?;
        let target = format!("{}@{}", self.policy.model, rules.pointer);
        self.authorized(Permission::Rollback, &target).await?;
        let reason = required_reason(reason, "an abort")?;
        self.desk(self.policy, self.actor.clone())
            .rollback_for(
                HookEvent::Abort,
                &self.policy.model,
                Some(&rules.pointer),
                None,
                &format!("rollout aborted: {reason}"),
            )
            .await
    }

    /// The deploy hooks called for request `id` (an abort's or the rule's rollback), as the
    /// audit log records them.
    pub async fn hook_deliveries(
        &self,
        id: crate::promotion::RequestId,
    ) -> Result<Vec<HookDelivery>, Error> {
        self.desk(self.policy, self.actor.clone())
            .hook_deliveries(id)
            .await
    }

    async fn authorized(&self, permission: Permission, target: &str) -> Result<(), Error> {
        let Err(why) = authorize(self.policy, &self.actor, permission) else {
            return Ok(());
        };
        self.store
            .append_audit(AuditDraft {
                at: self.now,
                actor: self.actor.clone(),
                action: AuditAction::Denied,
                target: target.to_owned(),
                before: None,
                after: None,
                reason: Some(why.clone()),
                response: None,
                request: None,
            })
            .await?;
        Err(Error::Denied(why))
    }
}

fn required_reason(reason: &str, what: &str) -> Result<String, Error> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::Invalid(format!("{what} needs a reason")));
    }
    Ok(reason.to_owned())
}

/// The failing metrics' explanations and their measured values, for the audit log.
fn measurements_cited(analysis: &Analysis) -> String {
    analysis
        .metrics
        .iter()
        .filter(|m| matches!(m.verdict, Verdict::Failed | Verdict::Error))
        .map(|m| {
            let values: Vec<String> = m
                .measurements
                .iter()
                .map(|x| x.value.map(fmt_num).unwrap_or_else(|| "none".into()))
                .collect();
            format!("{} [measured {}]", m.explanation, values.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// When `target` (`model@pointer`) moved to `canary`, as `log` records it: the start of that
/// version's rollout. None when the pointer was set outside Gatehouse.
pub fn rollout_start(log: &[AuditEvent], target: &str, canary: &VersionId) -> Option<Timestamp> {
    log.iter()
        .rev()
        .find(|e| {
            e.target == target
                && matches!(e.action, AuditAction::Executed | AuditAction::Reconciled)
                && e.after.as_deref() == Some(canary.as_str())
        })
        .map(|e| e.at)
}

/// The newest override of the rollout analysis of `target` recorded at or after `since` (the
/// start of the rollout in progress): a person's decision to promote despite the analysis, which
/// holds until the pointer moves again.
pub fn analysis_override(
    log: &[AuditEvent],
    target: &str,
    since: Option<Timestamp>,
) -> Option<AuditEvent> {
    log.iter()
        .rev()
        .filter(|e| since.is_none_or(|s| e.at >= s))
        .find(|e| {
            e.target == target
                && e.action == AuditAction::Overridden
                && e.request.is_none()
                && e.before
                    .as_deref()
                    .is_some_and(|b| b.starts_with("rollout analysis "))
        })
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `text` and shows it back in canonical form, or the error.
    fn check_parse(text: &str, expected: &str) {
        let got = match Condition::parse(text) {
            Ok(c) => c.to_string(),
            Err(e) => format!("error: {e}"),
        };
        assert_eq!(got, expected, "{text:?}");
    }

    #[test]
    fn conditions_parse_into_a_canonical_form() {
        check_parse("value <= 1.5", "value <= 1.5");
        check_parse("  value>2.0 ", "value > 2");
        check_parse("value >= -1e-3", "value >= -0.001");
        check_parse(
            "value > 2 or value < 0 and value != -1",
            "value > 2 or value < 0 and value != -1",
        );
        check_parse(
            "(value > 2 or value < 0) and value != 5",
            "(value > 2 or value < 0) and value != 5",
        );
        check_parse("value == 0", "value == 0");
    }

    #[test]
    fn bad_conditions_name_their_column() {
        check_parse(
            "",
            "error: column 1: expected `value` or `(`, found the end",
        );
        check_parse(
            "value",
            "error: column 6: expected a comparison (< <= > >= == !=), found the end",
        );
        check_parse("value => 2", "error: column 7: unexpected character `=`");
        check_parse(
            "value > x",
            "error: column 9: unknown word `x`: a condition knows only `value`, `and` and `or`",
        );
        check_parse(
            "value > 1 value",
            "error: column 11: unexpected `value` after a complete condition",
        );
        check_parse(
            "value > 1 and",
            "error: column 14: expected `value` or `(`, found the end",
        );
        check_parse(
            "(value > 1",
            "error: column 11: expected `)`, found the end",
        );
        check_parse(
            "value > 1e999",
            "error: column 9: `1e999` is not a finite number",
        );
        check_parse(
            "value > 1; rm",
            "error: column 10: unexpected character `;`",
        );
    }

    /// Classifies `value` under the given conditions (empty for none).
    fn check_outcome(success: &str, failure: &str, value: Option<f64>, expected: Outcome) {
        let parse = |t: &str| (!t.is_empty()).then(|| Condition::parse(t).unwrap());
        let got = classify(value, parse(success).as_ref(), parse(failure).as_ref());
        assert_eq!(got, expected, "{success:?} / {failure:?} at {value:?}");
    }

    #[test]
    fn measurements_follow_argo() {
        use Outcome::*;
        check_outcome("value <= 1.5", "value > 2", Some(1.0), Successful);
        check_outcome("value <= 1.5", "value > 2", Some(2.4), Failed);
        check_outcome("value <= 1.5", "value > 2", Some(1.8), Inconclusive);
        check_outcome("value <= 1.5", "value > 2", None, Error);
        check_outcome("value <= 1.5", "value > 2", Some(f64::NAN), Error);
        // Failure wins when both hold.
        check_outcome("value > 0", "value > 2", Some(3.0), Failed);
        // One condition alone decides both ways.
        check_outcome("value <= 1.5", "", Some(1.8), Failed);
        check_outcome("", "value > 2", Some(1.8), Successful);
        check_outcome("", "", Some(9.0), Successful);
    }

    fn check_verdict(
        outcomes: &str,
        count: u32,
        failure_limit: u32,
        inconclusive_limit: u32,
        expected: Verdict,
    ) {
        let tally = Tally::of(outcomes.chars().map(|c| match c {
            's' => Outcome::Successful,
            'f' => Outcome::Failed,
            'i' => Outcome::Inconclusive,
            _ => Outcome::Error,
        }));
        assert_eq!(
            verdict_of(&tally, count, failure_limit, inconclusive_limit),
            expected,
            "{outcomes} count {count} limits {failure_limit}/{inconclusive_limit}"
        );
    }

    #[test]
    fn verdicts_follow_argo() {
        use Verdict::*;
        check_verdict("", 5, 0, 0, Running);
        check_verdict("sss", 5, 0, 0, Running);
        check_verdict("sssss", 5, 0, 0, Successful);
        check_verdict("ssfss", 5, 1, 0, Successful);
        check_verdict("sf", 5, 0, 0, Failed);
        check_verdict("ffsf", 5, 2, 0, Failed);
        check_verdict("ffs", 5, 2, 0, Running);
        check_verdict("sii", 5, 0, 1, Inconclusive);
        check_verdict("sisss", 5, 0, 1, Successful);
        check_verdict("eeeee", 9, 0, 0, Error);
        check_verdict("eeees", 5, 0, 0, Successful);
        // Failure is judged before inconclusiveness.
        check_verdict("ffii", 5, 1, 1, Failed);
        assert_eq!(overall([Successful, Running, Failed, Inconclusive]), Failed);
        assert_eq!(overall([Successful, Running]), Running);
        assert_eq!(overall([Successful, Inconclusive, Running]), Inconclusive);
        assert_eq!(overall([]), Successful);
    }

    fn error_rate() -> MetricSpec {
        MetricSpec {
            name: "error rate".into(),
            source: MetricSource::Signal(SignalName::from("rollout.error_rate_ratio")),
            success: Some(Condition::parse("value <= 1.5").unwrap()),
            failure: Some(Condition::parse("value > 2").unwrap()),
            interval_seconds: 60,
            count: 5,
            failure_limit: 2,
            inconclusive_limit: 2,
            ratio_to_stable: false,
        }
    }

    fn check_metric(values: &[f64], verdict: Verdict, explanation: &str) {
        let series: Vec<(Timestamp, Option<f64>)> = values
            .iter()
            .enumerate()
            .map(|(i, v)| (Timestamp(i as i64 * 60_000), Some(*v)))
            .collect();
        let analysis = analyze_metric(&error_rate(), &series, "v8");
        assert_eq!(
            (analysis.verdict, analysis.explanation.as_str()),
            (verdict, explanation)
        );
    }

    #[test]
    fn metric_explanations_say_why_in_words() {
        check_metric(
            &[1.0, 2.4, 2.1, 1.2, 2.2],
            Verdict::Failed,
            "error rate of v8 met the failure condition `value > 2` in 3 of 5 checks (worst 2.4); limit 2",
        );
        check_metric(
            &[1.0, 1.1, 1.0, 1.2, 1.4],
            Verdict::Successful,
            "error rate of v8 passed: 5 of 5 checks successful, 0 failed (limit 2), 0 inconclusive (limit 2)",
        );
        check_metric(
            &[1.0, 1.8],
            Verdict::Running,
            "error rate of v8: 2 of 5 checks in, 0 failed (limit 2), 1 inconclusive (limit 2)",
        );
        check_metric(
            &[1.8, 1.7, 1.9],
            Verdict::Inconclusive,
            "error rate of v8 met neither `value <= 1.5` nor `value > 2` in 3 of 3 checks; limit 2: a person decides",
        );
        // A ratio to the stable version reads as one.
        let ratio = MetricSpec {
            ratio_to_stable: true,
            ..error_rate()
        };
        let series: Vec<(Timestamp, Option<f64>)> = [1.0, 2.4, 2.1, 1.2, 2.2]
            .iter()
            .enumerate()
            .map(|(i, v)| (Timestamp(60_000 * i as i64), Some(*v)))
            .collect();
        assert_eq!(
            analyze_metric(&ratio, &series, "v8").explanation,
            "error rate of v8 was up to 2.4× stable: `value > 2` in 3 of 5 checks; limit 2"
        );
        // Only the newest `count` measurements count: early failures age out.
        check_metric(&[3.0, 3.0, 3.0, 1.0, 1.0, 1.0, 1.0, 1.0], Verdict::Successful,
            "error rate of v8 passed: 5 of 5 checks successful, 0 failed (limit 2), 0 inconclusive (limit 2)");
    }

    #[test]
    fn query_templates_name_the_canary_the_stable_version_and_the_model() {
        let template =
            r#"errors{model="{{model}}",version="{{ canary }}"} / errors{version="{{stable}}"}"#;
        let churn = ModelName::from("churn");
        let (v3, v2) = (VersionId::from("3"), VersionId::from("2"));
        assert_eq!(
            render_query(template, &churn, &v3, Some(&v2)).unwrap(),
            r#"errors{model="churn",version="3"} / errors{version="2"}"#
        );
        let no_stable = render_query(template, &churn, &v3, None).unwrap_err();
        assert!(
            no_stable
                .to_string()
                .contains("records no version churn held before 3"),
            "{no_stable}"
        );
        // A value that could change the query's shape never reaches it.
        let sly = VersionId::from(r#"3"} or vector(0) #"#);
        assert_eq!(
            render_query(template, &churn, &sly, Some(&v2))
                .unwrap_err()
                .code(),
            ErrorCode::Invalid
        );
        assert_eq!(check_query_template("up"), Ok(()));
        assert_eq!(
            check_query_template("x{v=\"{{canary}\"}"),
            Err("`{{` without a closing `}}`".into())
        );
        assert_eq!(
            check_query_template("{{args.hash}}"),
            Err("unknown placeholder `{{args.hash}}`: a query knows `{{canary}}`, `{{stable}}` and `{{model}}`".into())
        );
    }

    #[test]
    fn the_next_measurement_is_due_an_interval_after_the_last() {
        let analysis = analyze_metric(&error_rate(), &[(Timestamp(1_000), Some(1.0))], "v8");
        assert_eq!(analysis.next_due, Some(Timestamp(61_000)));
    }
}
