//! The loop diagram exported for documents, from the Loop and Learn views.

use gatehouse_charts::{render_loop_export, Format, LoopExport, States};
use gatehouse_core::time::{Clock, SystemClock};
use gatehouse_core::{Error, ErrorCode};
use tauri::State;

use super::drift::theme;
use crate::error::IpcError;
use crate::state::AppState;

/// Writes the loop as the Loop view shows it, with the owner of every stage and gate, to
/// `<workspace>/exports/` as SVG or PNG (`blank`: every gate neutral), and returns the file's
/// path.
#[tauri::command]
pub async fn loop_export(
    state: State<'_, AppState>,
    format: String,
    theme: String,
    blank: bool,
) -> Result<String, IpcError> {
    let (format, theme) = (self::format(&format)?, self::theme(&theme)?);
    let view = super::loop_view::loop_view(state.clone()).await?;
    let states = if blank { States::Blank } else { States::Live };
    let export = LoopExport::new(&state.policy()?, &view.status, states);
    let bytes =
        render_loop_export(&export, &view.status, &view.layout, format, theme).map_err(|e| {
            Error::Port {
                code: ErrorCode::Internal,
                message: format!("cannot draw the loop: {e}"),
            }
        })?;
    let path = state.write_export(&export_name(blank, format), &bytes)?;
    Ok(path.display().to_string())
}

fn format(name: &str) -> Result<Format, IpcError> {
    match name {
        "svg" => Ok(Format::Svg),
        "png" => Ok(Format::Png),
        other => Err(Error::Invalid(format!("unknown format `{other}`: svg or png")).into()),
    }
}

/// `loop-1795752359999.png`, or `loop-blank-….svg`: what, and when.
fn export_name(blank: bool, format: Format) -> String {
    let kind = if blank { "loop-blank" } else { "loop" };
    let ext = match format {
        Format::Svg => "svg",
        Format::Png => "png",
    };
    format!("{kind}-{}.{ext}", SystemClock.now().0)
}
