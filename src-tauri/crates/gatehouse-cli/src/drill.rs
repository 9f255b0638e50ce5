//! `gatehouse quarantine`, `gatehouse retrain` and `gatehouse drill`: the incident responses the
//! drills train, and the drills themselves on the command line. A drill started here runs on its
//! own copy of the demo workspace; act on it with `--workspace <copy>`, and `drill status` moves
//! its script on.

use std::path::Path;

use clap::Subcommand;
use gatehouse_core::audit::AuditEvent;
use gatehouse_core::drill::{ActionMark, Debrief, DrillId, DrillStatus};
use gatehouse_core::policy::{OwnerId, Policy, UserName};
use gatehouse_core::reading::ModelName;
use gatehouse_core::response::Responder;
use gatehouse_core::time::Timestamp;
use gatehouse_core::{Error, ErrorCode};
use gatehouse_store::Workspace;
use serde::Serialize;

/// What `gatehouse drill` does.
#[derive(Subcommand, Debug)]
pub enum DrillCommand {
    /// The drills, with your best result of each
    List,
    /// Start a drill on a fresh copy of the demo workspace; prints the copy's directory
    Start {
        /// The drill's id
        drill: String,
    },
    /// Where the drill of this copy stands; applies the script's changes that fell due
    Status,
    /// The next hint (each one taken costs points)
    Hint,
    /// Finish the drill (or give it up) and print the debrief
    Finish {
        /// Give up instead of finishing
        #[arg(long)]
        give_up: bool,
    },
}

fn print_json(value: &impl Serialize) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::Port {
        code: ErrorCode::Internal,
        message: format!("cannot encode the result: {e}"),
    })?;
    println!("{text}");
    Ok(())
}

fn recorded(json: bool, event: &AuditEvent) -> Result<(), Error> {
    if json {
        return print_json(event);
    }
    println!(
        "{} {} (audit event {}){}",
        event.action.id().replace('_', " "),
        event.target,
        event.seq,
        event
            .before
            .as_deref()
            .map(|b| format!(": {b}"))
            .unwrap_or_default()
    );
    Ok(())
}

/// Quarantines `batch` of the policy's model as `actor`.
pub async fn quarantine(
    json: bool,
    ws: &Workspace,
    policy: &Policy,
    actor: &UserName,
    now: Timestamp,
    batch: &str,
    reason: &str,
) -> Result<(), Error> {
    let responder = Responder {
        policy,
        actor: actor.clone(),
        now,
        store: ws,
    };
    recorded(json, &responder.quarantine_batch(batch, reason).await?)
}

/// Asks `owner` to retrain `model` as `actor`.
#[allow(clippy::too_many_arguments)]
pub async fn retrain(
    json: bool,
    ws: &Workspace,
    policy: &Policy,
    actor: &UserName,
    now: Timestamp,
    model: &str,
    owner: &str,
    reason: &str,
) -> Result<(), Error> {
    let responder = Responder {
        policy,
        actor: actor.clone(),
        now,
        store: ws,
    };
    let event = responder
        .request_retraining(&ModelName::from(model), &OwnerId::from(owner), reason)
        .await?;
    recorded(json, &event)
}

fn status(json: bool, s: &DrillStatus) -> Result<(), Error> {
    if json {
        return print_json(s);
    }
    println!(
        "{} ({}) · {} s · {}",
        s.title, s.drill, s.elapsed_secs, s.copy_dir
    );
    println!("goal: {}", s.goal);
    println!(
        "script: {} of {} changes · hints: {} of {}{}",
        s.events_applied,
        s.events_total,
        s.hints_taken.len(),
        s.hints_total,
        if s.finished { " · finished" } else { "" }
    );
    for (i, hint) in s.hints_taken.iter().enumerate() {
        println!("hint {}: {hint}", i + 1);
    }
    Ok(())
}

fn debrief(json: bool, d: &Debrief) -> Result<(), Error> {
    if json {
        return print_json(d);
    }
    println!(
        "{}: {} · score {} · {} s · hints {} of {}",
        d.title,
        d.outcome.id().replace('_', " "),
        d.score,
        d.seconds,
        d.hints_used,
        d.hints_total
    );
    for a in &d.actions {
        let mark = match a.mark {
            ActionMark::Expected => "expected",
            ActionMark::OutOfOrder => "out of order",
            ActionMark::Unexpected => "unexpected",
        };
        println!(
            "  +{:>4} s  {} {}  [{mark}] {}",
            a.offset_secs,
            a.action.id().replace('_', " "),
            a.target,
            a.comment
        );
    }
    for m in &d.missed {
        println!("  missed step {}: {} ({})", m.step, m.title, m.why);
    }
    Ok(())
}

/// Runs a drill command against the workspace in `dir` as `actor`.
pub async fn run(
    json: bool,
    dir: &Path,
    actor: &UserName,
    now: Timestamp,
    command: DrillCommand,
) -> Result<(), Error> {
    let ws = Workspace::open(dir).await?;
    match command {
        DrillCommand::List => {
            let cards = ws.drill_cards(actor).await?;
            if json {
                return print_json(&cards);
            }
            for c in &cards {
                let best = c.best.as_ref().map_or_else(
                    || "not played".to_owned(),
                    |b| {
                        format!(
                            "best {} ({}, {} s)",
                            b.score,
                            b.outcome.id().replace('_', " "),
                            b.seconds
                        )
                    },
                );
                println!("{:<20} {} · {best}", c.id, c.title);
            }
            Ok(())
        }
        DrillCommand::Start { drill } => {
            let copy = ws.start_drill(&DrillId(drill), actor, now).await?;
            status(json, &copy.drill_status(now).await?)
        }
        DrillCommand::Status => {
            ws.advance_drill(now).await?;
            status(json, &ws.drill_status(now).await?)
        }
        DrillCommand::Hint => status(json, &ws.take_hint(actor, now).await?),
        DrillCommand::Finish { give_up } => {
            debrief(json, &ws.finish_drill(actor, give_up, now).await?)
        }
    }
}
