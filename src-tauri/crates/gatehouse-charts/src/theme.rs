//! Themes and the colours of states. Every chart takes its colours from here, so a gate is the same
//! red in the loop diagram as in any later chart.

use gatehouse_core::gate::GateState;
use gatehouse_core::status::StageState;
use plotters::style::RGBColor;

/// The colour scheme of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    /// Dark text on a near-white background.
    Light,
    /// Light text on a near-black background.
    Dark,
}

/// The colour of a gate in `state`: blocked red, pending amber, passed green, overridden purple,
/// unknown grey. Dark variants are a step brighter so they hold against the dark background.
pub fn gate_colour(state: GateState, theme: Theme) -> RGBColor {
    match (state, theme) {
        (GateState::Blocked, Theme::Light) => RGBColor(0xD9, 0x2D, 0x20),
        (GateState::Blocked, Theme::Dark) => RGBColor(0xF0, 0x44, 0x38),
        (GateState::Pending, Theme::Light) => RGBColor(0xDC, 0x68, 0x03),
        (GateState::Pending, Theme::Dark) => RGBColor(0xF7, 0x90, 0x09),
        (GateState::Passed, Theme::Light) => RGBColor(0x07, 0x94, 0x55),
        (GateState::Passed, Theme::Dark) => RGBColor(0x17, 0xB2, 0x6A),
        (GateState::Overridden, Theme::Light) => RGBColor(0x7F, 0x56, 0xD9),
        (GateState::Overridden, Theme::Dark) => RGBColor(0x9E, 0x77, 0xED),
        (GateState::Unknown, Theme::Light) => RGBColor(0x66, 0x70, 0x85),
        (GateState::Unknown, Theme::Dark) => RGBColor(0x85, 0x88, 0x8E),
    }
}

/// The border colour of a stage in `state`. A stage's state follows from the gates into it, so it
/// borrows their colours: open green, held red, waiting amber, unknown grey.
pub fn stage_colour(state: StageState, theme: Theme) -> RGBColor {
    let gate = match state {
        StageState::Open => GateState::Passed,
        StageState::Held => GateState::Blocked,
        StageState::Waiting => GateState::Pending,
        StageState::Unknown => GateState::Unknown,
    };
    gate_colour(gate, theme)
}

/// The neutral colours of a theme.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Palette {
    /// The canvas.
    pub background: RGBColor,
    /// The inside of a stage box.
    pub surface: RGBColor,
    /// Titles and names.
    pub text: RGBColor,
    /// Details, captions and the legend.
    pub muted: RGBColor,
    /// Edges and arrowheads.
    pub edge: RGBColor,
    /// The border around gate nodes, which keeps them apart from the edge they sit on.
    pub gate_border: RGBColor,
    /// A gate drawn without its state (blank exports): no state's colour.
    pub gate_neutral: RGBColor,
}

impl Theme {
    /// The neutral colours of this theme.
    pub(crate) fn palette(self) -> Palette {
        match self {
            Theme::Light => Palette {
                background: RGBColor(0xF9, 0xFA, 0xFB),
                surface: RGBColor(0xFF, 0xFF, 0xFF),
                text: RGBColor(0x10, 0x18, 0x28),
                muted: RGBColor(0x47, 0x54, 0x67),
                edge: RGBColor(0x98, 0xA2, 0xB3),
                gate_border: RGBColor(0xFF, 0xFF, 0xFF),
                gate_neutral: RGBColor(0x34, 0x40, 0x54),
            },
            Theme::Dark => Palette {
                background: RGBColor(0x0C, 0x11, 0x1D),
                surface: RGBColor(0x16, 0x1B, 0x26),
                text: RGBColor(0xF5, 0xF5, 0xF6),
                muted: RGBColor(0x94, 0x96, 0x9C),
                edge: RGBColor(0x61, 0x64, 0x6C),
                gate_border: RGBColor(0xFF, 0xFF, 0xFF),
                gate_neutral: RGBColor(0x4E, 0x5B, 0x73),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATES: [GateState; 5] = [
        GateState::Passed,
        GateState::Blocked,
        GateState::Pending,
        GateState::Overridden,
        GateState::Unknown,
    ];

    #[test]
    fn every_gate_state_has_its_own_colour_in_both_themes() {
        for theme in [Theme::Light, Theme::Dark] {
            for (i, a) in STATES.iter().enumerate() {
                for b in &STATES[i + 1..] {
                    assert_ne!(
                        gate_colour(*a, theme),
                        gate_colour(*b, theme),
                        "{a:?} vs {b:?}"
                    );
                }
            }
        }
        assert_eq!(
            gate_colour(GateState::Blocked, Theme::Light),
            RGBColor(0xD9, 0x2D, 0x20)
        );
    }

    #[test]
    fn a_held_stage_wears_the_blocked_red() {
        for theme in [Theme::Light, Theme::Dark] {
            assert_eq!(
                stage_colour(StageState::Held, theme),
                gate_colour(GateState::Blocked, theme)
            );
        }
    }
}
