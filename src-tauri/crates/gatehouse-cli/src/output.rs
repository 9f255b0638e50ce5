//! What the command prints: one JSON document with `--json`, otherwise text for a terminal.

use std::fmt::Write as _;
use std::path::Path;

use gatehouse_connectors::mlflow::VersionDetails;
use gatehouse_connectors::registry::RegistryListing;
use gatehouse_core::audit::{AuditEvent, AuditProblem, Verification};
use gatehouse_core::gate::{fmt_num, CheckOutcome, GateState};
use gatehouse_core::promotion::{GateCheck, PromotionRequest};
use gatehouse_core::reading::Reading;
use gatehouse_core::registry::{Model, ModelVersion};
use gatehouse_core::status::{LoopStatus, StageState};
use gatehouse_core::{Error, ErrorCode, ErrorReport};
use serde::Serialize;

fn print_json(value: &impl Serialize) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::Port {
        code: ErrorCode::Internal,
        message: format!("cannot encode the result: {e}"),
    })?;
    println!("{text}");
    Ok(())
}

/// Prints an error: `{"error": {"code", "message"}}` on standard error with `--json`.
pub fn error(json: bool, code: ErrorCode, message: &str) {
    if json {
        #[derive(Serialize)]
        struct Wrapper<'a> {
            error: &'a ErrorReport,
        }
        let report = ErrorReport {
            code,
            message: message.to_owned(),
        };
        match serde_json::to_string(&Wrapper { error: &report }) {
            Ok(text) => eprintln!("{text}"),
            Err(_) => eprintln!("{message}"),
        }
    } else {
        eprintln!("gatehouse: {message}");
    }
}

pub fn demo_created(json: bool, dir: &Path, status: &LoopStatus) -> Result<(), Error> {
    if json {
        #[derive(Serialize)]
        struct Created<'a> {
            workspace: String,
            status: &'a LoopStatus,
        }
        return print_json(&Created {
            workspace: dir.display().to_string(),
            status,
        });
    }
    println!("demo workspace ready at {}", dir.display());
    println!("  {}", counts(status));
    println!("  next: gatehouse --workspace {} status", dir.display());
    Ok(())
}

fn glyph(state: GateState) -> &'static str {
    match state {
        GateState::Passed => "✓",
        GateState::Blocked => "✕",
        GateState::Pending => "…",
        GateState::Overridden => "!",
        GateState::Unknown => "?",
    }
}

fn counts(status: &LoopStatus) -> String {
    let order = [
        GateState::Blocked,
        GateState::Pending,
        GateState::Unknown,
        GateState::Overridden,
        GateState::Passed,
    ];
    let parts: Vec<String> = order
        .iter()
        .filter_map(|s| {
            let n = status.gates.iter().filter(|g| g.state == *s).count();
            (n > 0).then(|| format!("{n} {}", s.id()))
        })
        .collect();
    format!("gates: {}", parts.join(" · "))
}

pub fn status(json: bool, status: &LoopStatus) -> Result<(), Error> {
    if json {
        return print_json(status);
    }
    let mut out = String::new();
    let demo = if status.demo {
        " · demo workspace"
    } else {
        ""
    };
    let _ = writeln!(out, "{} · model {}{demo}", status.workspace, status.model);
    let _ = writeln!(out, "{}\n", counts(status));
    let _ = writeln!(out, "STAGES");
    for s in &status.stages {
        let state = match s.state {
            StageState::Open => "open",
            StageState::Held => "held",
            StageState::Waiting => "waiting",
            StageState::Unknown => "unknown",
        };
        let _ = writeln!(out, "  {:<9} {:<8} {}", s.id.id(), state, s.detail);
    }
    let _ = writeln!(out, "\nGATES");
    for g in &status.gates {
        let _ = writeln!(
            out,
            "  {} {:<17} {:<20} {:<10} {}",
            glyph(g.state),
            g.id,
            format!("{} → {}", g.from, g.to),
            g.state.id(),
            g.owner.name
        );
        let _ = writeln!(out, "      {}", g.summary);
        if g.state != GateState::Passed {
            for e in &g.evidence {
                let value = e.value.map(fmt_num).unwrap_or_else(|| "—".into());
                let mark = match (e.outcome, e.blocking) {
                    (CheckOutcome::Met, _) => "ok",
                    (CheckOutcome::Unmet, true) => "FAIL",
                    (CheckOutcome::Unmet, false) => "waiting",
                    (CheckOutcome::Missing, _) => "missing",
                    (CheckOutcome::Stale, _) => "stale",
                };
                let _ = writeln!(
                    out,
                    "      - {:<15} {:>9}  expected {:<10} {}",
                    e.check, value, e.expected, mark
                );
            }
        }
    }
    print!("{out}");
    Ok(())
}

/// `registry list`: every model with its pointers and versions. For MLflow each version also
/// carries its `status`, `description`, `stage` (null when in none), `source` and `params`.
pub fn models(json: bool, listing: &RegistryListing) -> Result<(), Error> {
    if json {
        #[derive(Serialize)]
        struct Models<'a> {
            models: Vec<ModelDoc<'a>>,
        }
        #[derive(Serialize)]
        struct ModelDoc<'a> {
            #[serde(flatten)]
            model: &'a Model,
            versions: Vec<VersionDoc<'a>>,
        }
        #[derive(Serialize)]
        struct VersionDoc<'a> {
            #[serde(flatten)]
            version: &'a ModelVersion,
            #[serde(flatten)]
            details: Option<&'a VersionDetails>,
        }
        let models = listing
            .models
            .iter()
            .map(|m| ModelDoc {
                model: m,
                versions: m
                    .versions
                    .iter()
                    .map(|v| VersionDoc {
                        version: v,
                        details: listing.details.get(&(m.name.clone(), v.version.clone())),
                    })
                    .collect(),
            })
            .collect();
        return print_json(&Models { models });
    }
    for m in &listing.models {
        let pointers: Vec<String> = m
            .pointers
            .iter()
            .map(|(p, v)| format!("{p} → {v}"))
            .collect();
        println!("{}  ({})", m.name, pointers.join(", "));
        for v in &m.versions {
            let metrics: Vec<String> = v
                .metrics
                .iter()
                .map(|(k, x)| format!("{k}={}", fmt_num(*x)))
                .collect();
            println!(
                "  v{:<4} run {}  {}",
                v.version,
                v.run_id,
                metrics.join(" ")
            );
        }
    }
    Ok(())
}

pub fn recorded(json: bool, reading: &Reading) -> Result<(), Error> {
    if json {
        #[derive(Serialize)]
        struct Recorded<'a> {
            recorded: &'a Reading,
        }
        return print_json(&Recorded { recorded: reading });
    }
    println!(
        "recorded {} = {} for {}",
        reading.signal,
        fmt_num(reading.value),
        reading.model
    );
    Ok(())
}

pub fn written(json: bool, path: &Path) -> Result<(), Error> {
    if json {
        #[derive(Serialize)]
        struct Written {
            written: String,
        }
        return print_json(&Written {
            written: path.display().to_string(),
        });
    }
    println!("wrote {}", path.display());
    Ok(())
}

pub fn gate_check(json: bool, check: &GateCheck) -> Result<(), Error> {
    if json {
        return print_json(check);
    }
    let verdict = if check.blocked { "BLOCKED" } else { "passes" };
    println!("{} {}: {verdict}", check.model, check.version);
    for g in &check.gates {
        println!(
            "  {} {:<17} {:<10} {}",
            glyph(g.state),
            g.id,
            g.state.id(),
            g.summary
        );
    }
    Ok(())
}

fn request_line(r: &PromotionRequest) -> String {
    let approvers: Vec<&str> = r.approvals.iter().map(|a| a.by.as_str()).collect();
    format!(
        "request {} · {} {} → {} · {} · {} of {} approvals{} · asked by {}",
        r.id,
        r.target(),
        r.from_version
            .as_ref()
            .map(|v| v.as_str())
            .unwrap_or("unset"),
        r.version,
        r.state.id(),
        r.approvals.len(),
        r.required_approvals,
        if approvers.is_empty() {
            String::new()
        } else {
            format!(" ({})", approvers.join(", "))
        },
        r.requester
    )
}

pub fn request(json: bool, request: &PromotionRequest) -> Result<(), Error> {
    if json {
        #[derive(Serialize)]
        struct Doc<'a> {
            request: &'a PromotionRequest,
        }
        return print_json(&Doc { request });
    }
    println!("{}", request_line(request));
    if let Some(outcome) = &request.outcome {
        println!("  {outcome}");
    }
    Ok(())
}

pub fn requests(json: bool, requests: &[PromotionRequest]) -> Result<(), Error> {
    if json {
        #[derive(Serialize)]
        struct Doc<'a> {
            requests: &'a [PromotionRequest],
        }
        return print_json(&Doc { requests });
    }
    if requests.is_empty() {
        println!("no open requests");
    }
    for r in requests {
        println!("{}", request_line(r));
    }
    Ok(())
}

/// What a verification problem means, for a person.
pub fn problem(p: AuditProblem) -> &'static str {
    match p {
        AuditProblem::Edited => "its fields no longer match its hash (edited)",
        AuditProblem::BrokenLink => {
            "it does not follow on from the event before (one was deleted or inserted)"
        }
        AuditProblem::Gap => "its number skips or repeats (an event was deleted or inserted)",
    }
}

pub fn verification(json: bool, v: &Verification) -> Result<(), Error> {
    if json {
        return print_json(v);
    }
    if v.ok() {
        println!("audit log intact: {} events, head {}", v.events, v.head);
    }
    Ok(())
}

pub fn export(events: &[AuditEvent], out: Option<&Path>) -> Result<(), Error> {
    let mut text = String::new();
    for e in events {
        let line = serde_json::to_string(e).map_err(|e| Error::Port {
            code: ErrorCode::Internal,
            message: format!("cannot encode an audit event: {e}"),
        })?;
        text.push_str(&line);
        text.push('\n');
    }
    match out {
        None => {
            print!("{text}");
            Ok(())
        }
        Some(path) => std::fs::write(path, text).map_err(|e| Error::Port {
            code: ErrorCode::Workspace,
            message: format!("cannot write {}: {e}", path.display()),
        }),
    }
}

pub fn drift(json: bool, report: &gatehouse_drift::DatasetDrift) -> Result<(), Error> {
    if json {
        return print_json(report);
    }
    println!(
        "{:<24} {:<12} {:<14} {:>10} {:>10} {:>9}  {:<7} missing ref → cur",
        "column", "kind", "method", "value", "p-value", "threshold", "drift"
    );
    for c in &report.columns {
        let d = &c.drift;
        let p = d
            .p_value
            .map(|p| format!("{p:.4}"))
            .unwrap_or_else(|| "—".into());
        println!(
            "{:<24} {:<12} {:<14} {:>10.4} {:>10} {:>9}  {:<7} {:.1}% → {:.1}%",
            c.name,
            d.kind.to_string(),
            d.method.to_string(),
            d.value,
            p,
            fmt_num(d.threshold),
            if d.drifted { "DRIFT" } else { "ok" },
            d.reference.missing_share * 100.0,
            d.current.missing_share * 100.0,
        );
    }
    println!(
        "\n{} of {} columns drift ({:.0}%): {}",
        report.drifted_columns,
        report.columns.len(),
        report.share_drifted * 100.0,
        if report.dataset_drift {
            "dataset drift"
        } else {
            "no dataset drift"
        }
    );
    Ok(())
}

pub fn connected(json: bool, done: &crate::connect::Connected) -> Result<(), Error> {
    if json {
        return print_json(done);
    }
    println!("{}", done.text());
    Ok(())
}
