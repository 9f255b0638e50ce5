//! `gatehouse`: the headless command over the same core as the panel, for people at a terminal
//! and for CI/CD pipelines. Its flags, JSON documents and exit codes are a contract (DESIGN §5).

mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use gatehouse_charts::{render_loop, Format, Theme};
use gatehouse_core::demo;
use gatehouse_core::layout::layout_for;
use gatehouse_core::ports::WorkspaceRead;
use gatehouse_core::reading::{ModelName, Reading, SignalName};
use gatehouse_core::status::loop_status;
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

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ThemeArg {
    Light,
    Dark,
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

async fn run(cli: Cli) -> Result<(), Error> {
    let dir = cli.workspace.unwrap_or_else(gatehouse_store::default_dir);
    let clock = SystemClock;
    match cli.command {
        Command::Demo { seed } => {
            let generated = demo::generate(seed, clock.now());
            let ws = Workspace::create_demo(&dir, &generated).await?;
            let policy = ws.policy()?;
            let status = loop_status(&policy, &ws, clock.now()).await?;
            ws.close().await;
            output::demo_created(cli.json, &dir, &status)
        }
        Command::Status => {
            let ws = Workspace::open(&dir).await?;
            let policy = ws.policy()?;
            let status = loop_status(&policy, &ws, clock.now()).await?;
            output::status(cli.json, &status)
        }
        Command::Registry {
            command: RegistryCommand::List { model },
        } => {
            let ws = Workspace::open(&dir).await?;
            let mut models = ws.models().await?;
            if let Some(name) = &model {
                models.retain(|m| m.name.as_str() == name);
                if models.is_empty() {
                    return Err(Error::NotFound(format!("no model named `{name}`")));
                }
            }
            output::models(cli.json, &models)
        }
        Command::Record {
            signal,
            value,
            model,
            source,
            note,
        } => {
            let ws = Workspace::open(&dir).await?;
            let model = match model {
                Some(m) => ModelName(m),
                None => ws.policy()?.model,
            };
            let reading =
                Reading::new(model, SignalName(signal), value, clock.now(), source, note)?;
            ws.record_reading(&reading).await?;
            output::recorded(cli.json, &reading)
        }
        Command::Diagram { out, theme } => {
            let format = Format::from_path(&out).ok_or_else(|| {
                Error::Invalid(format!(
                    "cannot tell the format of {}: name it .svg or .png",
                    out.display()
                ))
            })?;
            let ws = Workspace::open(&dir).await?;
            let policy = ws.policy()?;
            let status = loop_status(&policy, &ws, clock.now()).await?;
            let theme = match theme {
                ThemeArg::Light => Theme::Light,
                ThemeArg::Dark => Theme::Dark,
            };
            let bytes = render_loop(&status, &layout_for(&policy), format, theme).map_err(|e| {
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
