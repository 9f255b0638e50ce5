//! The error type of the charts crate.

/// What went wrong while rendering a chart. Messages are lowercase, without a trailing period.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// A plotters backend refused to draw.
    #[error("drawing failed: {0}")]
    Draw(String),
    /// The rendered bitmap could not be encoded.
    #[error("encoding failed: {0}")]
    Encode(String),
    /// The embedded font could not be loaded.
    #[error("font failed: {0}")]
    Font(String),
}
