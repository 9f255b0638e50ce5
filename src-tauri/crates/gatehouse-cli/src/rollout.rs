//! `gatehouse rollout …`: the rollout gate's analysis, and the override and abort a person takes
//! when the analysis is not theirs to wait for. `analyze` first takes the PromQL measurements
//! that are due from the policy's Prometheus, then judges every metric.

use std::fmt::Write as _;

use clap::Subcommand;
use gatehouse_connectors::prometheus;
use gatehouse_core::gate::fmt_num;
use gatehouse_core::hook::HookDelivery;
use gatehouse_core::ports::Registry;
use gatehouse_core::rollout::{Outcome, RollbackAction, Rollout, RolloutReport, Verdict};
use gatehouse_core::{Error, ErrorCode};
use gatehouse_store::Workspace;

#[derive(Debug, Subcommand)]
pub enum RolloutCommand {
    /// Analyse the rollout from its measurements; a failed analysis proposes a rollback (or
    /// performs it where the policy allows automatic rollback); exit 3 if failed
    Analyze,
    /// Promote despite the analysis, with a reason (a role that may override gates)
    Override {
        /// Why (recorded in the audit log)
        #[arg(long)]
        reason: String,
    },
    /// Abort the rollout: roll the pointer back to the stable version, with a reason
    Abort {
        /// Why (recorded in the audit log)
        #[arg(long)]
        reason: String,
    },
}

pub async fn run<R: Registry + Sync>(
    json: bool,
    rollout: &Rollout<'_, Workspace, R>,
    command: RolloutCommand,
) -> Result<(), Error> {
    match command {
        RolloutCommand::Analyze => {
            let prometheus = prometheus::for_policy(rollout.policy)?;
            rollout.measure(prometheus.as_ref()).await?;
            let report = rollout.evaluate().await?;
            print(json, &report)?;
            match report.analysis.verdict {
                Verdict::Failed | Verdict::Error => Err(Error::Blocked(format!(
                    "the rollout analysis {}: {}",
                    report.analysis.verdict.id(),
                    report.analysis.explanation
                ))),
                Verdict::Successful | Verdict::Running | Verdict::Inconclusive => Ok(()),
            }
        }
        RolloutCommand::Override { reason } => {
            let analysis = rollout.override_analysis(&reason).await?;
            if json {
                print_json(&serde_json::json!({ "overridden": analysis }))
            } else {
                println!(
                    "rollout of {}@{} promoted despite an analysis that is {}",
                    analysis.model,
                    analysis.pointer,
                    analysis.verdict.id()
                );
                Ok(())
            }
        }
        RolloutCommand::Abort { reason } => {
            let request = rollout.abort(&reason).await?;
            let hooks = rollout.hook_deliveries(request.id).await?;
            if json {
                return print_json(&serde_json::json!({ "request": request, "hooks": hooks }));
            }
            crate::output::request(json, &request)?;
            print_hooks(&hooks);
            Ok(())
        }
    }
}

/// One line per hook call; failures also on standard error, since the move stands without them.
fn print_hooks(hooks: &[HookDelivery]) {
    for hook in hooks {
        if hook.delivered {
            println!("deploy hook {}: {}", hook.url, hook.response);
        } else {
            println!("deploy hook {} FAILED: {}", hook.url, hook.response);
            eprintln!(
                "gatehouse: deploy hook {} failed; the pointer moved all the same: {}",
                hook.url, hook.response
            );
        }
    }
}

fn print_json(value: &impl serde::Serialize) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::Port {
        code: ErrorCode::Internal,
        message: format!("cannot encode the result: {e}"),
    })?;
    println!("{text}");
    Ok(())
}

fn print(json: bool, report: &RolloutReport) -> Result<(), Error> {
    if json {
        return print_json(&serde_json::json!({ "rollout": report }));
    }
    let analysis = &report.analysis;
    let mut out = String::new();
    let kind = match analysis.kind {
        gatehouse_core::rollout::RolloutKind::Canary => "canary",
        gatehouse_core::rollout::RolloutKind::Shadow => "shadow",
    };
    let _ = writeln!(
        out,
        "{kind} rollout of {}@{}: {}",
        analysis.model,
        analysis.pointer,
        analysis.verdict.id()
    );
    for metric in &analysis.metrics {
        let marks: String = metric
            .measurements
            .iter()
            .map(|m| match m.outcome {
                Outcome::Successful => '✓',
                Outcome::Failed => '✗',
                Outcome::Inconclusive => '?',
                Outcome::Error => '!',
            })
            .collect();
        let values: Vec<String> = metric
            .measurements
            .iter()
            .map(|m| m.value.map(fmt_num).unwrap_or_else(|| "none".into()))
            .collect();
        let _ = writeln!(
            out,
            "  {:<10} {} [{}] {}",
            metric.verdict.id(),
            marks,
            values.join(", "),
            metric.explanation
        );
    }
    if let Some(plan) = &report.plan {
        let _ = writeln!(
            out,
            "rollback {}@{}: {} → {}",
            plan.model, plan.pointer, plan.from, plan.to
        );
    }
    match &report.action {
        RollbackAction::None if analysis.verdict == Verdict::Inconclusive => {
            let _ = writeln!(
                out,
                "waiting for a person: `gatehouse rollout override --reason …` promotes, `gatehouse rollout abort --reason …` rolls back"
            );
        }
        RollbackAction::None => {}
        RollbackAction::Proposed { why_not_automatic } => {
            let _ = writeln!(out, "proposed, not performed: {why_not_automatic}");
        }
        RollbackAction::Executed { request } => {
            let _ = writeln!(
                out,
                "performed by the rollout rule as request {} ({})",
                request.id,
                request.state.id()
            );
        }
    }
    print!("{out}");
    print_hooks(&report.hooks);
    Ok(())
}
