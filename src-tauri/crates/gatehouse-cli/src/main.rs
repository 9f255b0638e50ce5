//! `gatehouse`: the headless command over the same core as the panel, for people at a terminal
//! and for CI/CD pipelines. Its flags, JSON documents and exit codes are a contract (DESIGN §5).

mod alerts;
mod connect;
mod drift;
mod drill;
mod export;
mod hooks;
mod output;
mod rollout;
mod store;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use gatehouse_charts::{render_loop, Format, Theme};
use gatehouse_connectors::hooks::Webhooks;
use gatehouse_connectors::registry::AnyRegistry;
use gatehouse_core::audit;
use gatehouse_core::demo;
use gatehouse_core::layout::layout_for;
use gatehouse_core::policy::{Policy, UserName};
use gatehouse_core::ports::PromotionStore;
use gatehouse_core::ports::Registry;
use gatehouse_core::promotion::{Desk, Observer, Phase, RequestId, RequestState};
use gatehouse_core::reading::{ModelName, Reading, SignalName};
use gatehouse_core::registry::{PointerName, VersionId};
use gatehouse_core::status::live_loop_status;
use gatehouse_core::time::{Clock, SystemClock};
use gatehouse_core::{Error, ErrorCode};
use gatehouse_store::Workspace;

/// Gatehouse: the lifecycle loop of your models, its gates, owners and evidence.
#[derive(Debug, Parser)]
#[command(name = "gatehouse", version, about, max_term_width = 100)]
struct Cli {
    /// The workspace directory [default: $GATEHOUSE_WORKSPACE, else the OS data directory]
    #[arg(long, global = true, value_name = "DIR")]
    workspace: Option<PathBuf>,
    /// Act as this user in a local workspace (recorded in the audit log) [default: the OS account];
    /// refused on a team store, where the database login is the user
    #[arg(long, global = true, env = "GATEHOUSE_USER", value_name = "NAME")]
    user: Option<String>,
    /// Print one JSON document on standard output, errors as JSON on standard error
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the demo workspace, or reset the demo that is there
    Demo {
        /// Seed for the generated data (the same seed gives the same workspace)
        #[arg(long, default_value_t = demo::DEFAULT_SEED)]
        seed: u64,
    },
    /// The loop: stages and gates with state, owner and evidence
    Status,
    /// Models, versions and pointers
    Registry {
        #[command(subcommand)]
        command: RegistryCommand,
    },
    /// Evaluate the gates that guard promotion for a candidate; exit 3 if blocked
    Gate {
        #[command(subcommand)]
        command: GateCommand,
    },
    /// Request that a pointer move to a version
    Promote {
        /// The model
        model: String,
        /// The version to promote
        version: String,
        /// The pointer to move, such as production or champion
        #[arg(long = "to", value_name = "POINTER")]
        pointer: String,
        /// Why (recorded in the audit log)
        #[arg(long)]
        reason: String,
    },
    /// Approve a request; the approval that completes the count executes it
    Approve {
        /// The request number
        request: i64,
        /// Why
        #[arg(long)]
        reason: Option<String>,
    },
    /// Reject a request
    Reject {
        /// The request number
        request: i64,
        /// Why
        #[arg(long)]
        reason: String,
    },
    /// Pass a request's blocking gates with a reason (admins); executes it if approved
    Override {
        /// The request number
        request: i64,
        /// Why
        #[arg(long)]
        reason: String,
    },
    /// Move a pointer back, by default to the version it held before its last move
    Rollback {
        /// The model
        model: String,
        /// The version to return to [default: the previous one in the audit log]
        #[arg(long = "to", value_name = "VERSION")]
        version: Option<String>,
        /// The pointer [default: the policy's production pointer]
        #[arg(long)]
        pointer: Option<String>,
        /// Why (recorded in the audit log)
        #[arg(long)]
        reason: String,
    },
    /// Quarantine a data batch that broke its contract (recorded in the audit log)
    Quarantine {
        /// The batch, as its readings name it (`batch:<id>`)
        batch: String,
        /// Why (recorded in the audit log)
        #[arg(long)]
        reason: String,
    },
    /// Ask a model's owner to retrain it (recorded in the audit log)
    Retrain {
        /// The model
        model: String,
        /// The owner asked, a key of the policy's `[owners]`
        #[arg(long)]
        owner: String,
        /// Why (recorded in the audit log)
        #[arg(long)]
        reason: String,
    },
    /// Learn drills on a throw-away copy of the demo workspace
    Drill {
        #[command(subcommand)]
        command: drill::DrillCommand,
    },
    /// List promotion and rollback requests
    Requests {
        /// Include finished ones (done, rejected, failed)
        #[arg(long)]
        all: bool,
    },
    /// Verify or export the audit log
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Connect a back end; secrets go to the OS keyring, only the entry's name to gatehouse.toml
    Connect {
        #[command(subcommand)]
        backend: ConnectCommand,
    },
    /// Alerts with owner, severity, runbook and state
    Alerts {
        /// Only alerts of this owner (a key of the policy's owners table)
        #[arg(long, value_name = "O")]
        owner: Option<String>,
    },
    /// Acknowledge an alert: a silence with who and why, for a while
    Ack {
        /// The alert's fingerprint, or its name when one active alert has it
        alert: String,
        /// How long, such as 2h or 1h30m
        #[arg(long = "for", value_name = "DURATION")]
        duration: String,
        /// Why
        #[arg(long)]
        reason: String,
    },
    /// Take an acknowledgement back (expire its silence)
    Unack {
        /// The alert's fingerprint or name
        alert: String,
        /// Why
        #[arg(long)]
        reason: Option<String>,
    },
    /// Compare a current table with a reference, column by column (CSV or Parquet files), or
    /// the latest window of the policy's feature histograms with theirs (`--from prometheus`)
    Drift {
        /// The reference table
        #[arg(required_unless_present = "from")]
        reference: Option<PathBuf>,
        /// The current table
        #[arg(required_unless_present = "from")]
        current: Option<PathBuf>,
        /// auto|ks|chisquare|z|wasserstein|jensenshannon|psi|kl|hellinger, for every column
        /// [default: auto, Evidently's choice per column]
        #[arg(long)]
        method: Option<String>,
        /// The threshold for every column [default: the method's]
        #[arg(long)]
        threshold: Option<f64>,
        /// Only these columns
        #[arg(long, value_delimiter = ',')]
        columns: Option<Vec<String>>,
        /// Treat these columns as numerical
        #[arg(long, value_delimiter = ',')]
        numerical: Vec<String>,
        /// Treat these columns as categorical
        #[arg(long, value_delimiter = ',')]
        categorical: Vec<String>,
        /// Read the features named in [drift.prometheus] from the policy's Prometheus instead of
        /// two files: the latest window against the reference (histograms: wasserstein,
        /// jensenshannon, psi, kl or hellinger; default jensenshannon)
        #[arg(long, value_parser = ["prometheus"], conflicts_with_all = ["reference", "current", "columns", "numerical", "categorical"])]
        from: Option<String>,
    },
    /// Record a measured value of a signal, as a pipeline reporting its checks does
    Record {
        /// The signal, such as data.schema_violations
        signal: String,
        /// The measured value
        #[arg(allow_negative_numbers = true)]
        value: f64,
        /// The model it belongs to [default: the model the policy follows]
        #[arg(long, value_name = "M")]
        model: Option<String>,
        /// Where the value comes from, such as a batch or run id
        #[arg(long, default_value = "cli")]
        source: String,
        /// Context for a person reading the evidence
        #[arg(long)]
        note: Option<String>,
    },
    /// The rollout gate: canary or shadow analysis, override and abort
    Rollout {
        #[command(subcommand)]
        command: rollout::RolloutCommand,
    },
    /// Deploy hooks: their signing secrets in the OS keyring
    Hooks {
        #[command(subcommand)]
        command: hooks::HooksCommand,
    },
    /// The team store: migrate its schema, print the SQL for its roles, log in
    Store {
        #[command(subcommand)]
        command: store::StoreCommand,
    },
    /// Export the loop diagram with the team's owners and gates, for documents
    Export {
        #[command(subcommand)]
        what: export::ExportCommand,
    },
    /// Draw the lifecycle diagram as the panel draws it
    Diagram {
        /// Output file; its extension (.svg or .png) picks the format
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Colour theme
        #[arg(long, value_enum, default_value_t = ThemeArg::Light)]
        theme: ThemeArg,
    },
}

#[derive(Debug, Subcommand)]
enum RegistryCommand {
    /// List models with their versions and pointers
    List {
        /// Only this model
        #[arg(long, value_name = "M")]
        model: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum GateCommand {
    /// Evaluate the gates that guard promotion for MODEL VERSION
    Check {
        /// The model
        model: String,
        /// The candidate version
        version: String,
    },
}

#[derive(Debug, Subcommand)]
enum ConnectCommand {
    /// An MLflow tracking server as the registry
    Mlflow {
        /// The server's base URL
        url: String,
        /// Basic-auth user (without it, a secret on standard input is a bearer token)
        #[arg(long)]
        username: Option<String>,
        /// Read the password or token from standard input
        #[arg(long)]
        password_stdin: bool,
    },
    /// A Prometheus as the metrics source (checked with its build information)
    Prometheus {
        /// The server's base URL
        url: String,
        /// Basic-auth user (without it, a secret on standard input is a bearer token)
        #[arg(long)]
        username: Option<String>,
        /// Read the password or token from standard input
        #[arg(long)]
        password_stdin: bool,
    },
    /// An Alertmanager as the alerts source (checked with its status)
    Alertmanager {
        /// The server's base URL
        url: String,
        /// Basic-auth user (without it, a secret on standard input is a bearer token)
        #[arg(long)]
        username: Option<String>,
        /// Read the password or token from standard input
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check the hash chain; names the first edited, inserted or deleted event
    Verify,
    /// Write the log as JSON Lines
    Export {
        /// Output file [default: standard output]
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ThemeArg {
    Light,
    Dark,
}

impl From<ThemeArg> for Theme {
    fn from(theme: ThemeArg) -> Theme {
        match theme {
            ThemeArg::Light => Theme::Light,
            ThemeArg::Dark => Theme::Dark,
        }
    }
}

/// Exit codes of the contract.
mod exit {
    pub const ERROR: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const BLOCKED: u8 = 3;
    pub const DENIED: u8 = 4;
    pub const UNREACHABLE: u8 = 5;
}

fn exit_code(code: ErrorCode) -> u8 {
    match code {
        ErrorCode::Invalid => exit::USAGE,
        ErrorCode::Blocked => exit::BLOCKED,
        ErrorCode::PermissionDenied => exit::DENIED,
        ErrorCode::Unreachable => exit::UNREACHABLE,
        ErrorCode::Policy
        | ErrorCode::BadInput
        | ErrorCode::Workspace
        | ErrorCode::NotFound
        | ErrorCode::Storage
        | ErrorCode::Internal => exit::ERROR,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            output::error(json, ErrorCode::Internal, &format!("cannot start: {e}"));
            return ExitCode::from(exit::ERROR);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            output::error(json, e.code(), &e.to_string());
            ExitCode::from(exit_code(e.code()))
        }
    }
}

fn parse_method(s: Option<&str>) -> Result<Option<gatehouse_drift::Method>, Error> {
    match s {
        None | Some("auto") => Ok(None),
        Some(s) => s
            .parse::<gatehouse_drift::Method>()
            .map(Some)
            .map_err(|e| Error::Invalid(e.to_string())),
    }
}

/// Reads a table from a CSV or Parquet file (by extension, or Parquet's `PAR1` magic), naming the
/// file in errors.
fn read_table(path: &std::path::Path) -> Result<gatehouse_drift::Table, Error> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::NotFound(format!("cannot read {}: {e}", path.display())))?;
    let name = path.display().to_string();
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_lowercase);
    let table = match extension.as_deref() {
        Some("parquet" | "pq") => gatehouse_drift::Table::from_parquet(&name, bytes),
        None if bytes.starts_with(b"PAR1") => gatehouse_drift::Table::from_parquet(&name, bytes),
        Some("csv" | "txt") | None => gatehouse_drift::Table::from_csv(&name, &bytes),
        Some(other) => {
            return Err(Error::Invalid(format!(
                "{name}: .{other} files are not read; give CSV or Parquet"
            )))
        }
    };
    table.map_err(|e| Error::BadInput(e.to_string()))
}

/// Fault injection for crash-safety tests and drills: `GATEHOUSE_FAILPOINT=after-intent` or
/// `after-move` aborts the process at that phase of an execution, as a power cut would.
struct Failpoint(Option<Phase>);

impl Failpoint {
    fn from_env() -> Failpoint {
        Failpoint(match std::env::var("GATEHOUSE_FAILPOINT").as_deref() {
            Ok("after-intent") => Some(Phase::IntentRecorded),
            Ok("after-move") => Some(Phase::PointerMoved),
            _ => None,
        })
    }
}

impl Observer for Failpoint {
    fn reached(&self, phase: Phase) {
        if self.0 == Some(phase) {
            std::process::abort();
        }
    }
}

static FAILPOINT: std::sync::OnceLock<Failpoint> = std::sync::OnceLock::new();

fn desk<'a, R: Registry + Sync>(
    policy: &'a Policy,
    actor: &UserName,
    ws: &'a Workspace,
    registry: &'a R,
    clock: &SystemClock,
) -> Desk<'a, Workspace, R> {
    Desk {
        policy,
        actor: actor.clone(),
        now: clock.now(),
        store: ws,
        registry,
        observer: FAILPOINT.get_or_init(Failpoint::from_env),
        hooks: &*WEBHOOKS,
    }
}

/// The deploy hooks the use-cases call after a pointer moves.
static WEBHOOKS: std::sync::LazyLock<Webhooks> = std::sync::LazyLock::new(Webhooks::default);

/// Opens a workspace for an action: parses its policy and settles executions that an earlier
/// process left unfinished.
async fn open(
    dir: &std::path::Path,
    actor: &UserName,
    clock: &SystemClock,
) -> Result<(Workspace, Policy), Error> {
    let ws = store::open(dir).await?;
    let policy = ws.policy()?;
    let registry = AnyRegistry::for_policy(&policy, &ws)?;
    for settled in desk(&policy, actor, &ws, &registry, clock)
        .reconcile()
        .await?
    {
        eprintln!(
            "gatehouse: settled interrupted request {}: {}",
            settled.id,
            settled.outcome.as_deref().unwrap_or(settled.state.id())
        );
    }
    Ok((ws, policy))
}

async fn run(cli: Cli) -> Result<(), Error> {
    let dir = cli.workspace.unwrap_or_else(gatehouse_store::default_dir);
    let clock = SystemClock;
    let actor = match &cli.command {
        // The team store's own commands act as the login they are given, not as a user.
        Command::Store { .. } => UserName::from("gatehouse"),
        _ => store::actor(&dir, cli.user)?,
    };
    match cli.command {
        Command::Demo { seed } => {
            let generated = demo::generate(seed, clock.now());
            let ws = Workspace::create_demo(&dir, &generated).await?;
            let policy = ws.policy()?;
            let status = live_loop_status(&policy, &ws, &ws, clock.now()).await?;
            ws.close().await;
            output::demo_created(cli.json, &dir, &status)
        }
        Command::Gate {
            command: GateCommand::Check { model, version },
        } => {
            let (ws, policy) = open(&dir, &actor, &clock).await?;
            let check = desk(
                &policy,
                &actor,
                &ws,
                &AnyRegistry::for_policy(&policy, &ws)?,
                &clock,
            )
            .gate_check(&ModelName(model), &VersionId(version))
            .await?;
            output::gate_check(cli.json, &check)?;
            if check.blocked {
                return Err(Error::Blocked(format!(
                    "{} {} is blocked by its gates",
                    check.model, check.version
                )));
            }
            Ok(())
        }
        Command::Promote {
            model,
            version,
            pointer,
            reason,
        } => {
            let (ws, policy) = open(&dir, &actor, &clock).await?;
            let request = desk(
                &policy,
                &actor,
                &ws,
                &AnyRegistry::for_policy(&policy, &ws)?,
                &clock,
            )
            .request(
                &ModelName(model),
                &VersionId(version),
                &PointerName(pointer),
                &reason,
            )
            .await?;
            output::request(cli.json, &request)
        }
        Command::Approve { request, reason } => {
            let (ws, policy) = open(&dir, &actor, &clock).await?;
            let request = desk(
                &policy,
                &actor,
                &ws,
                &AnyRegistry::for_policy(&policy, &ws)?,
                &clock,
            )
            .approve(RequestId(request), reason.as_deref())
            .await?;
            output::request(cli.json, &request)?;
            hooks::warn_failed(&ws, request.id).await
        }
        Command::Reject { request, reason } => {
            let (ws, policy) = open(&dir, &actor, &clock).await?;
            let request = desk(
                &policy,
                &actor,
                &ws,
                &AnyRegistry::for_policy(&policy, &ws)?,
                &clock,
            )
            .reject(RequestId(request), &reason)
            .await?;
            output::request(cli.json, &request)
        }
        Command::Override { request, reason } => {
            let (ws, policy) = open(&dir, &actor, &clock).await?;
            let request = desk(
                &policy,
                &actor,
                &ws,
                &AnyRegistry::for_policy(&policy, &ws)?,
                &clock,
            )
            .override_gates(RequestId(request), &reason)
            .await?;
            output::request(cli.json, &request)?;
            hooks::warn_failed(&ws, request.id).await
        }
        Command::Rollback {
            model,
            version,
            pointer,
            reason,
        } => {
            let (ws, policy) = open(&dir, &actor, &clock).await?;
            let request = desk(
                &policy,
                &actor,
                &ws,
                &AnyRegistry::for_policy(&policy, &ws)?,
                &clock,
            )
            .rollback(
                &ModelName(model),
                pointer.map(PointerName).as_ref(),
                version.map(VersionId).as_ref(),
                &reason,
            )
            .await?;
            output::request(cli.json, &request)?;
            hooks::warn_failed(&ws, request.id).await
        }
        Command::Quarantine { batch, reason } => {
            let (ws, policy) = open(&dir, &actor, &clock).await?;
            drill::quarantine(cli.json, &ws, &policy, &actor, clock.now(), &batch, &reason).await
        }
        Command::Retrain {
            model,
            owner,
            reason,
        } => {
            let (ws, policy) = open(&dir, &actor, &clock).await?;
            drill::retrain(
                cli.json,
                &ws,
                &policy,
                &actor,
                clock.now(),
                &model,
                &owner,
                &reason,
            )
            .await
        }
        Command::Drill { command } => {
            drill::run(cli.json, &dir, &actor, clock.now(), command).await
        }
        Command::Hooks { command } => hooks::run(cli.json, command, &mut std::io::stdin()),
        Command::Rollout { command } => {
            let (ws, policy) = open(&dir, &actor, &clock).await?;
            let registry = AnyRegistry::for_policy(&policy, &ws)?;
            let gate = gatehouse_core::rollout::Rollout {
                policy: &policy,
                actor: actor.clone(),
                now: clock.now(),
                store: &ws,
                registry: &registry,
                observer: FAILPOINT.get_or_init(Failpoint::from_env),
                hooks: &*WEBHOOKS,
            };
            rollout::run(cli.json, &gate, command).await
        }
        Command::Requests { all } => {
            let (ws, _) = open(&dir, &actor, &clock).await?;
            let mut requests = ws.requests().await?;
            if !all {
                requests.retain(|r| {
                    matches!(
                        r.state,
                        RequestState::Requested | RequestState::Approved | RequestState::Executing
                    )
                });
            }
            output::requests(cli.json, &requests)
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let ws = store::open(&dir).await?;
            let verification = audit::verify(&ws.audit_log().await?);
            output::verification(cli.json, &verification)?;
            match &verification.first_bad {
                None => Ok(()),
                Some(bad) => Err(Error::Port {
                    code: ErrorCode::Storage,
                    message: format!(
                        "the audit log is broken at event {}: {}",
                        bad.seq,
                        output::problem(bad.problem)
                    ),
                }),
            }
        }
        Command::Audit {
            command: AuditCommand::Export { out },
        } => {
            let ws = store::open(&dir).await?;
            let events = ws.audit_log().await?;
            output::export(&events, out.as_deref())
        }
        Command::Status => {
            let (ws, policy) = open(&dir, &actor, &clock).await?;
            // The loop as the panel's Loop shows it, from every back end the policy names.
            let status =
                gatehouse_connectors::live::loop_status(&policy, &ws, None, clock.now()).await?;
            output::status(cli.json, &status)
        }
        Command::Registry {
            command: RegistryCommand::List { model },
        } => {
            let ws = store::open(&dir).await?;
            let policy = ws.policy()?;
            let mut listing = AnyRegistry::for_policy(&policy, &ws)?.listing().await?;
            if let Some(name) = &model {
                listing.models.retain(|m| m.name.as_str() == name);
                if listing.models.is_empty() {
                    return Err(Error::NotFound(format!("no model named `{name}`")));
                }
            }
            output::models(cli.json, &listing)
        }
        Command::Store { command } => {
            store::run(&dir, command, cli.json, &mut std::io::stdin()).await
        }
        Command::Connect { backend } => {
            let (target, url, username, password_stdin) = match backend {
                ConnectCommand::Mlflow {
                    url,
                    username,
                    password_stdin,
                } => (connect::Target::Mlflow, url, username, password_stdin),
                ConnectCommand::Prometheus {
                    url,
                    username,
                    password_stdin,
                } => (connect::Target::Prometheus, url, username, password_stdin),
                ConnectCommand::Alertmanager {
                    url,
                    username,
                    password_stdin,
                } => (connect::Target::Alertmanager, url, username, password_stdin),
            };
            let args = connect::ConnectArgs {
                url,
                username,
                password_stdin,
            };
            let done = connect::connect(&dir, target, &args, &mut std::io::stdin()).await?;
            output::connected(cli.json, &done)
        }
        Command::Alerts { owner } => {
            let (ws, policy) = open(&dir, &actor, &clock).await?;
            let now = clock.now();
            let list = alerts::list(&policy, &ws, &actor, now, owner.as_deref()).await?;
            alerts::print_alerts(cli.json, &list, now)
        }
        Command::Ack {
            alert,
            duration,
            reason,
        } => {
            let (ws, policy) = open(&dir, &actor, &clock).await?;
            let now = clock.now();
            let acked = alerts::ack(&policy, &ws, &actor, now, &alert, &duration, &reason).await?;
            alerts::print_alert(cli.json, &acked, now)
        }
        Command::Unack { alert, reason } => {
            let (ws, policy) = open(&dir, &actor, &clock).await?;
            let now = clock.now();
            let back = alerts::unack(&policy, &ws, &actor, now, &alert, reason.as_deref()).await?;
            alerts::print_alert(cli.json, &back, now)
        }
        Command::Drift {
            reference,
            current,
            method,
            threshold,
            columns,
            numerical,
            categorical,
            from,
        } => {
            let (Some(reference), Some(current), None) = (reference, current, from) else {
                // Without both files clap has made sure `--from prometheus` is given.
                let method = parse_method(method.as_deref())?;
                let chosen = (method.is_some() || threshold.is_some())
                    .then_some(gatehouse_drift::Options { method, threshold });
                return drift::from_prometheus(&dir, cli.json, chosen).await;
            };
            let request = gatehouse_drift::Request {
                columns,
                numerical,
                categorical,
                options: gatehouse_drift::Options {
                    method: parse_method(method.as_deref())?,
                    threshold,
                },
                per_column: Vec::new(),
                drift_share: gatehouse_drift::DEFAULT_DRIFT_SHARE,
            };
            let (reference, current) = (read_table(&reference)?, read_table(&current)?);
            let report = gatehouse_drift::compare_tables(&reference, &current, &request).map_err(
                |e| match e {
                    gatehouse_drift::DriftError::InvalidThreshold(_)
                    | gatehouse_drift::DriftError::ConflictingKind(_)
                    | gatehouse_drift::DriftError::MethodNotApplicable { .. } => {
                        Error::Invalid(e.to_string())
                    }
                    other => Error::BadInput(other.to_string()),
                },
            )?;
            output::drift(cli.json, &report)
        }
        Command::Record {
            signal,
            value,
            model,
            source,
            note,
        } => {
            let ws = store::open(&dir).await?;
            let model = match model {
                Some(m) => ModelName(m),
                None => ws.policy()?.model,
            };
            let reading =
                Reading::new(model, SignalName(signal), value, clock.now(), source, note)?;
            ws.record_reading(&reading).await?;
            output::recorded(cli.json, &reading)
        }
        Command::Export { what } => export::run(&dir, cli.json, what).await,
        Command::Diagram { out, theme } => {
            let format = Format::from_path(&out).ok_or_else(|| {
                Error::Invalid(format!(
                    "cannot tell the format of {}: name it .svg or .png",
                    out.display()
                ))
            })?;
            let ws = store::open(&dir).await?;
            let policy = ws.policy()?;
            let registry = AnyRegistry::for_policy(&policy, &ws)?;
            let status = live_loop_status(&policy, &ws, &registry, clock.now()).await?;
            let bytes =
                render_loop(&status, &layout_for(&policy), format, theme.into()).map_err(|e| {
                    Error::Port {
                        code: ErrorCode::Internal,
                        message: format!("cannot draw the diagram: {e}"),
                    }
                })?;
            std::fs::write(&out, bytes).map_err(|e| Error::Port {
                code: ErrorCode::Workspace,
                message: format!("cannot write {}: {e}", out.display()),
            })?;
            output::written(cli.json, &out)
        }
    }
}
