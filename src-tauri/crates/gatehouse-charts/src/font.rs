//! The embedded font, registered once with plotters' ab_glyph support so that PNG exports render
//! text the same on every machine, with no system fonts installed.

use std::sync::OnceLock;

use plotters::style::{register_font, FontStyle};

use crate::error::ChartError;

/// The family every chart writes its text in. Registering the embedded font under the generic
/// name keeps SVG exports readable too: viewers fall back to their own sans-serif face.
pub(crate) const FAMILY: &str = "sans-serif";

static DEJAVU_SANS: &[u8] = include_bytes!("../../../../assets/fonts/DejaVuSans.ttf");

static REGISTERED: OnceLock<bool> = OnceLock::new();

/// Registers the embedded font, once per process.
pub(crate) fn ensure_registered() -> Result<(), ChartError> {
    let ok =
        *REGISTERED.get_or_init(|| register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS).is_ok());
    if ok {
        Ok(())
    } else {
        Err(ChartError::Font(
            "the embedded dejavu sans font could not be parsed".into(),
        ))
    }
}
