//! Plotters renderings of the loop diagram and drift charts, as SVG and PNG exports.
//!
//! The loop diagram draws exactly the geometry of [`gatehouse_core::layout::LoopLayout`], the same
//! coordinates the panel draws as SVG DOM, so `gatehouse diagram --out loop.svg` looks like the
//! panel; [`render_loop_export`] draws it for documents, with the owners of every stage and gate
//! and the workspace and date in its title, live or blank ([`loop_export`]). Colours of gate
//! states come from one function, [`gate_colour`], shared by every chart.
//!
//! The drift charts ([`drift`]) draw a [`gatehouse_core::monitor::DriftBoard`]: a feature's score
//! over time against its threshold, its reference vs. latest histogram, and the features × windows
//! heatmap, as SVG text the panel shows as images. The monitor charts ([`monitor`]) draw a
//! [`gatehouse_core::signals::MonitorView`]: one system signal per chart, a line per version.
//! The rollout chart ([`rollout`]) draws one metric of a canary analysis: its measurements
//! against its success and failure conditions.

pub mod drift;
mod error;
mod font;
mod format;
mod loop_diagram;
pub mod loop_export;
pub mod monitor;
pub mod rollout;
mod theme;

pub use drift::{heatmap, histogram_chart, score_chart, CHART_SIZE, HEATMAP_WIDTH};
pub use error::ChartError;
pub use format::Format;
pub use loop_diagram::{render_loop, render_loop_export};
pub use loop_export::{LoopExport, States};
pub use rollout::{metric_chart, ROLLOUT_CHART_SIZE};
pub use theme::{gate_colour, stage_colour, Theme};
