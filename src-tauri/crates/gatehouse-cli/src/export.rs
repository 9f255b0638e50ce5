//! `gatehouse export loop`: the loop diagram with the team's owners and gates, for documents and
//! onboarding decks, live or blank.

use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};
use gatehouse_charts::{render_loop_export, Format, LoopExport, States};
use gatehouse_core::layout::layout_for;
use gatehouse_core::time::{Clock, SystemClock};
use gatehouse_core::{Error, ErrorCode};

use crate::{output, store, ThemeArg};

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// The loop diagram with every stage's and gate's owner, the workspace and the date
    Loop {
        /// The file format
        #[arg(long, value_enum)]
        format: FormatArg,
        /// Draw every gate neutral, without its state (for onboarding decks)
        #[arg(long)]
        blank: bool,
        /// Colour theme
        #[arg(long, value_enum, default_value_t = ThemeArg::Light)]
        theme: ThemeArg,
        /// The file to write
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Svg,
    Png,
}

pub async fn run(dir: &Path, json: bool, command: ExportCommand) -> Result<(), Error> {
    let ExportCommand::Loop {
        format,
        blank,
        theme,
        out,
    } = command;
    let format = match format {
        FormatArg::Svg => Format::Svg,
        FormatArg::Png => Format::Png,
    };
    // A file named for the other format would mislead whoever opens it.
    if let Some(named) = Format::from_path(&out).filter(|named| *named != format) {
        return Err(Error::Invalid(format!(
            "{} is named as {} but --format asks for {}",
            out.display(),
            name(named),
            name(format)
        )));
    }
    let ws = store::open(dir).await?;
    let policy = ws.policy()?;
    let now = SystemClock.now();
    // A live export shows the loop as `gatehouse status` and the panel's Loop do; a blank one
    // draws no state, so it needs no back end and works while the registry is down.
    let (status, states) = if blank {
        let status = gatehouse_core::status::loop_status(&policy, &ws, now).await?;
        (status, States::Blank)
    } else {
        let status = gatehouse_connectors::live::loop_status(&policy, &ws, None, now).await?;
        (status, States::Live)
    };
    let export = LoopExport::new(&policy, &status, states);
    let bytes = render_loop_export(&export, &status, &layout_for(&policy), format, theme.into())
        .map_err(|e| Error::Port {
            code: ErrorCode::Internal,
            message: format!("cannot draw the loop: {e}"),
        })?;
    write_whole(&out, &bytes)?;
    output::written(json, &out)
}

fn name(format: Format) -> &'static str {
    match format {
        Format::Svg => "svg",
        Format::Png => "png",
    }
}

/// Writes `bytes` beside `path` first and renames it into place, so that an interrupted export
/// never leaves half a picture under the name a document links to.
fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let file_name = path
        .file_name()
        .ok_or_else(|| Error::Invalid(format!("{} does not name a file", path.display())))?;
    let mut partial = file_name.to_os_string();
    partial.push(".partial");
    let partial = path.with_file_name(partial);
    std::fs::write(&partial, bytes)
        .and_then(|()| std::fs::rename(&partial, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&partial);
            Error::Port {
                code: ErrorCode::Workspace,
                message: format!("cannot write {}: {e}", path.display()),
            }
        })
}
