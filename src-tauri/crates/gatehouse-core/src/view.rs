//! What the panel's Loop view receives: the status with the layout to draw it on, or the error
//! that keeps it from being computed (a broken policy, an unreadable database).

use serde::{Deserialize, Serialize};

use crate::error::ErrorReport;
use crate::layout::LoopLayout;
use crate::status::LoopStatus;

/// The loop and where to draw each part of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct LoopView {
    /// Where the workspace lives on disk.
    pub workspace_dir: String,
    /// Stages and gates with their states.
    pub status: LoopStatus,
    /// Coordinates for every stage, edge and gate.
    pub layout: LoopLayout,
}

/// One update of the Loop view, pushed whenever the workspace or its policy changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LoopUpdate {
    /// The loop as it stands now.
    Ready {
        /// The view to draw.
        view: Box<LoopView>,
    },
    /// The loop cannot be computed; the panel keeps the last view, marked stale.
    Failed {
        /// Why.
        error: ErrorReport,
    },
}
