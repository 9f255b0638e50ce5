//! Drift charts as SVG: one feature's score over time against its threshold, the reference and
//! latest histograms of a feature, and the features × windows heatmap of a whole board.
//!
//! The panel shows these SVGs as images and exports write the same text, so what a person sees
//! in the Drift view is what a report holds. Every chart draws on plain pixel coordinates through
//! a `Frame` rather than plotters' chart builder: the p-value axis is logarithmic and the time axis
//! is labelled in clock minutes, and one small mapper serves both better than two builders.
//!
//! Inputs come from the serving stream and may be empty or hold NaN or infinite scores; charts
//! never panic on them. A window without a finite score is left out of the score chart and drawn
//! as an empty cell in the heatmap; a chart with nothing to draw says so in words.

use gatehouse_core::gate::{fmt_num, GateState};
use gatehouse_core::monitor::{DriftBoard, FeatureDrift};
use gatehouse_core::time::Timestamp;
use plotters::backend::{BitMapBackend, DrawingBackend, SVGBackend};
use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, DrawingAreaErrorKind, IntoDrawingArea};
use plotters::element::{Circle, PathElement, Rectangle};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, FontDesc, FontFamily, FontStyle, RGBColor, TextStyle};

use crate::error::ChartError;
use crate::font;
use crate::format::{encode_png, Format};
use crate::theme::{gate_colour, Palette, Theme};

/// The size of the score chart and of the histogram, in pixels.
pub const CHART_SIZE: (u32, u32) = (640, 260);
/// The width of the heatmap; its height grows with the number of features.
pub const HEATMAP_WIDTH: u32 = 960;

/// The radius of a window's marker in the score chart.
pub(crate) const MARKER_R: i32 = 4;
/// The height of one feature's row in the heatmap.
const ROW_H: i32 = 22;
/// How far past the threshold the heatmap's colour keeps deepening: four times the threshold
/// (a distance) or a quarter of it (a p-value) is as red as a cell gets.
const RATIO_CAP: f64 = 4.0;
/// The lowest p-value the logarithmic axis reaches, so that a p-value of 0 still has a place.
const LOG_FLOOR_EXP: i32 = -12;

/// The score of `feature` in every window over time, with its threshold as a dashed line and the
/// windows where it drifted marked in the blocked red. P-values are drawn on a logarithmic axis
/// from 1 down past the smallest one; distances on a linear axis from 0. Times are UTC.
/// The feature's drift onset (when its current run of drifting windows began) is a dashed
/// vertical line labelled with its time.
pub fn score_chart(feature: &FeatureDrift, theme: Theme) -> Result<String, ChartError> {
    svg(CHART_SIZE, |area| draw_score(area, feature, None, theme))
}

/// The shares of the reference and of the latest window in each bin of `feature`'s histogram,
/// as grouped bars: reference muted, current in the accent colour.
pub fn histogram_chart(feature: &FeatureDrift, theme: Theme) -> Result<String, ChartError> {
    svg(CHART_SIZE, |area| {
        draw_histogram(area, feature, None, theme)
    })
}

/// One drift chart, as the panel shows and exports it.
#[derive(Debug, Clone, Copy)]
pub enum DriftChart<'a> {
    /// A feature's score over time, with `window` (an index into its points) ringed.
    Score {
        /// The feature.
        feature: &'a FeatureDrift,
        /// The window the person picked, if any.
        window: Option<usize>,
    },
    /// A feature's reference against `window` (an index into its points; the latest if `None`).
    Histogram {
        /// The feature.
        feature: &'a FeatureDrift,
        /// The window the person picked, if any.
        window: Option<usize>,
    },
    /// Every feature in every window.
    Heatmap(&'a DriftBoard),
}

impl DriftChart<'_> {
    fn size(&self) -> (u32, u32) {
        match self {
            DriftChart::Score { .. } | DriftChart::Histogram { .. } => CHART_SIZE,
            DriftChart::Heatmap(board) => heatmap_size(board),
        }
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        theme: Theme,
    ) -> Result<(), ChartError> {
        match *self {
            DriftChart::Score { feature, window } => draw_score(area, feature, window, theme),
            DriftChart::Histogram { feature, window } => {
                draw_histogram(area, feature, window, theme)
            }
            DriftChart::Heatmap(board) => draw_heatmap(area, board, theme),
        }
    }
}

/// `chart` as SVG text, the form the panel shows.
pub fn drift_svg(chart: DriftChart<'_>, theme: Theme) -> Result<String, ChartError> {
    svg(chart.size(), |area| chart.draw(area, theme))
}

/// `chart` as a file's bytes: the SVG the panel shows, or a PNG of the same pixels.
pub fn export_drift(
    chart: DriftChart<'_>,
    format: Format,
    theme: Theme,
) -> Result<Vec<u8>, ChartError> {
    match format {
        Format::Svg => drift_svg(chart, theme).map(String::into_bytes),
        Format::Png => {
            font::ensure_registered()?;
            let (width, height) = chart.size();
            let mut rgb = vec![0u8; width as usize * height as usize * 3];
            {
                let area =
                    BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
                chart.draw(&area, theme)?;
                area.present().map_err(draw_error)?;
            }
            encode_png(&rgb, width, height)
        }
    }
}

/// Where each window's marker sits in the score chart of `feature`, in the chart's own pixels
/// ([`CHART_SIZE`]): `(index into the feature's points, x, y)`. Windows without a finite score
/// have no marker. The panel finds the window under the pointer with these, for its read-out.
pub fn score_marks(feature: &FeatureDrift) -> Vec<(usize, f64, f64)> {
    let (w, h) = CHART_SIZE;
    let layout = ScoreLayout::of(feature, (w as i32, h as i32));
    layout
        .points
        .iter()
        .map(|p| {
            let (x, y) = layout.frame.px(p.at, layout.scale.y(p.score));
            (p.index, f64::from(x), f64::from(y))
        })
        .collect()
}

/// Every feature of `board` (rows) in every window (columns), coloured by how far its score is
/// past its threshold; cells where the feature drifted are red, deeper the further past.
pub fn heatmap(board: &DriftBoard, theme: Theme) -> Result<String, ChartError> {
    svg(heatmap_size(board), |area| draw_heatmap(area, board, theme))
}

fn heatmap_size(board: &DriftBoard) -> (u32, u32) {
    let rows = i32::try_from(board.features.len().max(1)).unwrap_or(i32::MAX / ROW_H);
    let height = HEATMAP_TOP + rows.saturating_mul(ROW_H) + HEATMAP_BOTTOM;
    (HEATMAP_WIDTH, u32::try_from(height).unwrap_or(u32::MAX))
}

pub(crate) fn svg<F>(size: (u32, u32), draw: F) -> Result<String, ChartError>
where
    F: FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), ChartError>,
{
    font::ensure_registered()?;
    let mut out = String::new();
    {
        let area = SVGBackend::with_string(&mut out, size).into_drawing_area();
        draw(&area)?;
        area.present().map_err(draw_error)?;
    }
    Ok(out)
}

pub(crate) fn draw_error<E: std::error::Error + Send + Sync>(
    e: DrawingAreaErrorKind<E>,
) -> ChartError {
    ChartError::Draw(e.to_string())
}

/// The colours the drift charts use beyond the theme's neutrals.
pub(crate) struct Colours {
    pub(crate) palette: Palette,
    pub(crate) drifted: RGBColor,
    pub(crate) ok: RGBColor,
    /// The panel's accent (`--accent` in `app.css`), for the current window's bars.
    pub(crate) accent: RGBColor,
    /// Grid lines: a step from the background towards the edges.
    pub(crate) grid: RGBColor,
}

impl Colours {
    pub(crate) fn of(theme: Theme) -> Colours {
        let palette = theme.palette();
        let accent = match theme {
            Theme::Light => RGBColor(0x2D, 0x5B, 0xD7),
            Theme::Dark => RGBColor(0x7E, 0xA3, 0xFF),
        };
        Colours {
            palette,
            drifted: gate_colour(GateState::Blocked, theme),
            ok: gate_colour(GateState::Passed, theme),
            accent,
            grid: mix(palette.background, palette.edge, 0.35),
        }
    }
}

/// `a` moved a share `t` (0‥1) of the way to `b`.
pub(crate) fn mix(a: RGBColor, b: RGBColor, t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let ch = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * t).round() as u8;
    RGBColor(ch(a.0, b.0), ch(a.1, b.1), ch(a.2, b.2))
}

// ---------------------------------------------------------------------------------------------
// Text

/// Sets text of `size` pixels per em, as the loop diagram does (plotters sets an em of
/// size / 1.24).
pub(crate) fn style(
    size: f64,
    colour: RGBColor,
    bold: bool,
    h: HPos,
    v: VPos,
) -> TextStyle<'static> {
    let weight = if bold {
        FontStyle::Bold
    } else {
        FontStyle::Normal
    };
    TextStyle {
        font: FontDesc::new(FontFamily::Name(font::FAMILY), size * 1.24, weight),
        color: colour.to_backend_color(),
        pos: Pos::new(h, v),
    }
}

pub(crate) fn text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    at: (i32, i32),
    style: &TextStyle<'_>,
) -> Result<(), ChartError> {
    area.draw_text(s, style, at).map_err(draw_error)
}

pub(crate) fn text_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    style: &TextStyle<'_>,
) -> Result<i32, ChartError> {
    let (w, _) = area.estimate_text_size(s, style).map_err(draw_error)?;
    Ok(i32::try_from(w).unwrap_or(i32::MAX))
}

/// `s`, or its longest prefix with an ellipsis that fits in `max` pixels.
pub(crate) fn fit<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    style: &TextStyle<'_>,
    max: i32,
) -> Result<String, ChartError> {
    if text_width(area, s, style)? <= max {
        return Ok(s.to_owned());
    }
    let chars: Vec<char> = s.chars().collect();
    for keep in (0..chars.len()).rev() {
        let candidate = chars[..keep]
            .iter()
            .collect::<String>()
            .trim_end()
            .to_owned()
            + "…";
        if text_width(area, &candidate, style)? <= max {
            return Ok(candidate);
        }
    }
    Ok("…".to_owned())
}

/// The title line and the line of context under it, shortened to the chart's width.
pub(crate) fn heading<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &Colours,
    title: &str,
    sub: &str,
    max: i32,
) -> Result<(), ChartError> {
    let t = style(14.0, c.palette.text, true, HPos::Left, VPos::Center);
    text(area, &fit(area, title, &t, max)?, (16, 18), &t)?;
    let s = style(11.5, c.palette.muted, false, HPos::Left, VPos::Center);
    text(area, &fit(area, sub, &s, max)?, (16, 36), &s)
}

/// A line in the middle of an empty plot saying why nothing is drawn.
pub(crate) fn empty_note<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &Colours,
    frame: &Frame,
    note: &str,
) -> Result<(), ChartError> {
    let s = style(12.0, c.palette.muted, false, HPos::Center, VPos::Center);
    let at = (frame.left + frame.width / 2, frame.top + frame.height / 2);
    text(area, note, at, &s)
}

/// The value axis of a plot: a grid line and a label at the left of each tick, and the baseline.
pub(crate) fn value_axis<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &Colours,
    frame: &Frame,
    ticks: impl IntoIterator<Item = (f64, String)>,
) -> Result<(), ChartError> {
    let label = style(11.0, c.palette.muted, false, HPos::Right, VPos::Center);
    for (v, s) in ticks {
        let y = frame.px_y(v);
        line(area, vec![(frame.left, y), (frame.right(), y)], c.grid, 1)?;
        text(area, &s, (frame.left - 8, y), &label)?;
    }
    line(
        area,
        vec![
            (frame.left, frame.bottom()),
            (frame.right(), frame.bottom()),
        ],
        c.palette.edge,
        1,
    )
}

/// `HH:MM` of a timestamp in UTC.
pub(crate) fn clock(at: Timestamp) -> String {
    let minutes = at.0.div_euclid(60_000).rem_euclid(24 * 60);
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

// ---------------------------------------------------------------------------------------------
// Geometry

/// A plot rectangle in pixels with the data ranges it shows: maps data to pixels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    pub(crate) left: i32,
    pub(crate) top: i32,
    pub(crate) width: i32,
    pub(crate) height: i32,
    pub(crate) x: (f64, f64),
    pub(crate) y: (f64, f64),
}

impl Frame {
    pub(crate) fn right(&self) -> i32 {
        self.left + self.width
    }

    pub(crate) fn bottom(&self) -> i32 {
        self.top + self.height
    }

    pub(crate) fn px_x(&self, x: f64) -> i32 {
        let span = self.x.1 - self.x.0;
        let t = if span > 0.0 {
            (x - self.x.0) / span
        } else {
            0.5
        };
        self.left + (t.clamp(0.0, 1.0) * f64::from(self.width)).round() as i32
    }

    pub(crate) fn px_y(&self, y: f64) -> i32 {
        let span = self.y.1 - self.y.0;
        let t = if span > 0.0 {
            (y - self.y.0) / span
        } else {
            0.5
        };
        self.bottom() - (t.clamp(0.0, 1.0) * f64::from(self.height)).round() as i32
    }

    pub(crate) fn px(&self, x: f64, y: f64) -> (i32, i32) {
        (self.px_x(x), self.px_y(y))
    }
}

/// Round steps for an axis spanning `span` with about `count` ticks: 1, 2 or 5 × 10ⁿ.
pub(crate) fn nice_step(span: f64, count: f64) -> f64 {
    if !(span.is_finite() && span > 0.0) {
        return 1.0;
    }
    let raw = span / count.max(1.0);
    let magnitude = 10f64.powf(raw.log10().floor());
    let steps = [1.0, 2.0, 5.0, 10.0];
    let unit = steps
        .iter()
        .copied()
        .find(|s| s * magnitude >= raw)
        .unwrap_or(10.0);
    unit * magnitude
}

/// Ticks at whole multiples of `step` within `lo‥hi`.
pub(crate) fn ticks(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite() && step.is_finite() && step > 0.0) {
        return Vec::new();
    }
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last.min(first.saturating_add(50)))
        .map(|k| k as f64 * step)
        .collect()
}

/// Time ticks on whole clock minutes: the smallest round step giving at most six ticks.
fn time_ticks(lo: f64, hi: f64) -> Vec<f64> {
    const MINUTE: f64 = 60_000.0;
    const STEPS: [f64; 12] = [
        1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 180.0, 360.0, 720.0, 1440.0,
    ];
    let span = hi - lo;
    let step = STEPS
        .iter()
        .map(|m| m * MINUTE)
        .find(|s| span / s <= 5.0)
        .unwrap_or_else(|| nice_step(span, 5.0));
    ticks(lo, hi, step)
}

pub(crate) fn line<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    points: Vec<(i32, i32)>,
    colour: RGBColor,
    width: u32,
) -> Result<(), ChartError> {
    area.draw(&PathElement::new(points, colour.stroke_width(width)))
        .map_err(draw_error)
}

pub(crate) fn rect<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    a: (i32, i32),
    b: (i32, i32),
    colour: RGBColor,
) -> Result<(), ChartError> {
    area.draw(&Rectangle::new([a, b], colour.filled()))
        .map_err(draw_error)
}

/// A horizontal dashed line from `x0` to `x1` at `y`.
pub(crate) fn dashed<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x0: i32,
    x1: i32,
    y: i32,
    colour: RGBColor,
) -> Result<(), ChartError> {
    const DASH: i32 = 6;
    const GAP: i32 = 4;
    let mut x = x0;
    while x < x1 {
        let end = (x + DASH).min(x1);
        line(area, vec![(x, y), (end, y)], colour, 2)?;
        x = end + GAP;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Score over time

/// How scores map onto the y axis.
#[derive(Debug, Clone, Copy)]
enum Scale {
    /// Distances: linear from 0.
    Linear,
    /// P-values: log₁₀, clamped at `10^floor` so a p-value of 0 sits on the axis floor.
    Log { floor: i32 },
}

impl Scale {
    fn y(self, score: f64) -> f64 {
        match self {
            Scale::Linear => score,
            Scale::Log { floor } => score.max(10f64.powi(floor)).min(1.0).log10(),
        }
    }
}

/// A window's score as the chart places it.
struct ScorePoint {
    index: usize,
    at: f64,
    score: f64,
    drifted: bool,
}

/// The score chart's axes and points, shared by the drawing and by [`score_marks`].
struct ScoreLayout {
    points: Vec<ScorePoint>,
    scale: Scale,
    frame: Frame,
}

impl ScoreLayout {
    fn of(feature: &FeatureDrift, (w, h): (i32, i32)) -> ScoreLayout {
        let points: Vec<ScorePoint> = feature
            .points
            .iter()
            .enumerate()
            .filter(|(_, p)| p.score.is_finite())
            .map(|(index, p)| ScorePoint {
                index,
                at: p.at.0 as f64,
                score: p.score,
                drifted: p.drifted,
            })
            .collect();
        let threshold = feature.threshold;
        let scale = if feature.is_test {
            let smallest = points
                .iter()
                .map(|p| p.score)
                .chain(std::iter::once(threshold))
                .filter(|s| *s > 0.0 && s.is_finite())
                .fold(1.0f64, f64::min);
            // One decade of room below the smallest value, and never less than two decades shown.
            let floor = (smallest.log10().floor() as i32 - 1).clamp(LOG_FLOOR_EXP, -2);
            Scale::Log { floor }
        } else {
            Scale::Linear
        };
        let y_range = match scale {
            Scale::Linear => {
                let top = points
                    .iter()
                    .map(|p| p.score)
                    .chain(std::iter::once(threshold))
                    .filter(|s| s.is_finite())
                    .fold(0.0f64, f64::max);
                let top = if top > 0.0 { top * 1.15 } else { 1.0 };
                let step = nice_step(top, 4.0);
                (0.0, (top / step).ceil() * step)
            }
            Scale::Log { floor } => (f64::from(floor), 0.0),
        };
        let x_range = match (points.first(), points.last()) {
            (Some(first), Some(last)) if last.at > first.at => {
                let pad = (last.at - first.at) * 0.03;
                (first.at - pad, last.at + pad)
            }
            // One window: half an hour either side of it.
            (Some(only), _) => (only.at - 1_800_000.0, only.at + 1_800_000.0),
            (None, _) => (0.0, 1.0),
        };
        let frame = Frame {
            left: 58,
            top: 54,
            width: w - 58 - 20,
            height: h - 54 - 34,
            x: x_range,
            y: y_range,
        };
        ScoreLayout {
            points,
            scale,
            frame,
        }
    }
}

fn draw_score<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    feature: &FeatureDrift,
    selected: Option<usize>,
    theme: Theme,
) -> Result<(), ChartError> {
    let c = Colours::of(theme);
    area.fill(&c.palette.background).map_err(draw_error)?;
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);

    let title = format!("{} · {}", feature.name, feature.method);
    let hint = if feature.is_test {
        "p-value; drift when ≤ threshold · times in UTC"
    } else {
        "distance; drift when ≥ threshold · times in UTC"
    };
    heading(area, &c, &title, hint, w - 170)?;
    legend(
        area,
        &c,
        w - 16,
        &[(c.drifted, "drifted"), (c.ok, "no drift")],
    )?;

    let ScoreLayout {
        points,
        scale,
        frame,
    } = ScoreLayout::of(feature, (w, h));
    let threshold = feature.threshold;
    let (x_range, y_range) = (frame.x, frame.y);

    // Grid and y labels.
    let y_ticks: Vec<(f64, String)> = match scale {
        Scale::Linear => {
            let step = nice_step(y_range.1, 4.0);
            ticks(y_range.0, y_range.1, step)
                .into_iter()
                .map(|v| (v, fmt_num((v * 1e6).round() / 1e6)))
                .collect()
        }
        Scale::Log { floor } => {
            let every = if -floor > 6 { 2 } else { 1 };
            (floor..=0)
                .filter(|k| k % every == 0)
                .map(|k| (f64::from(k), pow10_label(k)))
                .collect()
        }
    };
    value_axis(area, &c, &frame, y_ticks)?;

    if points.is_empty() {
        empty_note(area, &c, &frame, "no windows yet")?;
    } else {
        let x_label = style(11.0, c.palette.muted, false, HPos::Center, VPos::Top);
        for t in time_ticks(x_range.0, x_range.1) {
            let x = frame.px_x(t);
            line(
                area,
                vec![(x, frame.bottom()), (x, frame.bottom() + 4)],
                c.palette.edge,
                1,
            )?;
            text(
                area,
                &clock(Timestamp(t as i64)),
                (x, frame.bottom() + 8),
                &x_label,
            )?;
        }
    }

    // The threshold, dashed, labelled at its right end.
    if threshold.is_finite() {
        let y = frame.px_y(scale.y(threshold));
        dashed(area, frame.left, frame.right(), y, c.palette.muted)?;
        let s = style(11.0, c.palette.muted, false, HPos::Right, VPos::Bottom);
        text(
            area,
            &format!("threshold {}", fmt_num(threshold)),
            (frame.right() - 2, y - 4),
            &s,
        )?;
    }

    // The drift onset: where the current run of drifting windows began.
    if let Some(onset) = feature.onset.filter(|_| !points.is_empty()) {
        let x = frame.px_x(onset.0 as f64);
        let mut y = frame.top;
        while y < frame.bottom() {
            let end = (y + 5).min(frame.bottom());
            line(area, vec![(x, y), (x, end)], c.drifted, 1)?;
            y = end + 4;
        }
        let (h_pos, dx) = if x > frame.left + frame.width / 2 {
            (HPos::Right, -4)
        } else {
            (HPos::Left, 4)
        };
        let s = style(11.0, c.drifted, false, h_pos, VPos::Top);
        text(
            area,
            &format!("drift since {}", clock(onset)),
            (x + dx, frame.top + 2),
            &s,
        )?;
    }

    // The score line, then one marker per window on top of it, the picked window ringed.
    if points.len() > 1 {
        let path = points
            .iter()
            .map(|p| frame.px(p.at, scale.y(p.score)))
            .collect();
        line(area, path, c.palette.edge, 2)?;
    }
    for p in &points {
        let colour = if p.drifted { c.drifted } else { c.ok };
        let at = frame.px(p.at, scale.y(p.score));
        if selected == Some(p.index) {
            area.draw(&Circle::new(at, MARKER_R + 4, c.accent.stroke_width(2)))
                .map_err(draw_error)?;
        }
        area.draw(&Circle::new(at, MARKER_R, colour.filled()))
            .map_err(draw_error)?;
    }
    Ok(())
}

/// `10^k` as people read p-values: `1`, `0.1`, `0.01`, `0.001`, then `1e-4` and smaller.
fn pow10_label(k: i32) -> String {
    if k >= -3 {
        fmt_num(10f64.powi(k))
    } else {
        format!("1e{k}")
    }
}

/// Coloured squares with their names, right-aligned at `right` on the title line.
pub(crate) fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &Colours,
    right: i32,
    items: &[(RGBColor, &str)],
) -> Result<(), ChartError> {
    let s = style(11.0, c.palette.muted, false, HPos::Left, VPos::Center);
    let mut x = right;
    for (colour, name) in items.iter().rev() {
        let width = text_width(area, name, &s)?;
        x -= width;
        text(area, name, (x, 18), &s)?;
        x -= 14;
        rect(area, (x, 13), (x + 10, 23), *colour)?;
        x -= 12;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Histogram

fn draw_histogram<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    feature: &FeatureDrift,
    window: Option<usize>,
    theme: Theme,
) -> Result<(), ChartError> {
    let c = Colours::of(theme);
    area.fill(&c.palette.background).map_err(draw_error)?;
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let reference_colour = mix(c.palette.background, c.palette.muted, 0.55);

    // The picked window's histogram, else the latest one.
    let picked = window.and_then(|i| feature.points.get(i));
    let hist = picked.map_or(&feature.histogram, |p| &p.histogram);
    let window_name = picked.map_or_else(
        || "latest window".to_owned(),
        |p| format!("window ending {}", clock(p.at)),
    );
    let share = |v: Option<&f64>| v.copied().filter(|x| x.is_finite()).unwrap_or(0.0).max(0.0);
    let bins = hist.labels.len();
    let top = (0..bins)
        .flat_map(|i| [share(hist.reference.get(i)), share(hist.current.get(i))])
        .fold(0.0f64, f64::max);
    let top = if top > 0.0 { (top * 1.1).min(1.0) } else { 1.0 };
    let step = nice_step(top, 4.0);
    let top = (top / step).ceil() * step;

    let title = format!("{} · reference vs {window_name}", feature.name);
    heading(
        area,
        &c,
        &title,
        "share of each sample per bin · times in UTC",
        w - 230,
    )?;
    let current_name = if picked.is_some() {
        "window"
    } else {
        "latest window"
    };
    legend(
        area,
        &c,
        w - 16,
        &[(reference_colour, "reference"), (c.accent, current_name)],
    )?;

    let frame = Frame {
        left: 58,
        top: 54,
        width: w - 58 - 20,
        height: h - 54 - 40,
        x: (0.0, bins.max(1) as f64),
        y: (0.0, top),
    };
    let y_ticks = ticks(0.0, top, step)
        .into_iter()
        .map(|v| (v, format!("{} %", fmt_num((v * 1000.0).round() / 10.0))));
    value_axis(area, &c, &frame, y_ticks)?;

    if bins == 0 {
        return empty_note(area, &c, &frame, "no values to bin");
    }

    for i in 0..bins {
        let x = i as f64;
        for (offset, v, colour) in [
            (0.1, share(hist.reference.get(i)), reference_colour),
            (0.5, share(hist.current.get(i)), c.accent),
        ] {
            if v <= 0.0 {
                continue;
            }
            let a = frame.px(x + offset, v.min(top));
            let b = frame.px(x + offset + 0.4, 0.0);
            rect(area, a, b, colour)?;
        }
    }

    // Bin labels under the bars, every k-th one so that none overlap.
    let x_label = style(10.5, c.palette.muted, false, HPos::Center, VPos::Top);
    let slot = f64::from(frame.width) / bins as f64;
    let widest = hist
        .labels
        .iter()
        .map(|l| text_width(area, l, &x_label))
        .try_fold(0, |m, w| w.map(|w| m.max(w)))?;
    let every = ((f64::from(widest) + 8.0) / slot).ceil().max(1.0) as usize;
    for (i, l) in hist.labels.iter().enumerate().step_by(every) {
        let x = frame.px_x(i as f64 + 0.5);
        let max = (slot * every as f64) as i32 - 4;
        text(
            area,
            &fit(area, l, &x_label, max)?,
            (x, frame.bottom() + 6),
            &x_label,
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Heatmap

/// Room above the rows (title) and below them (time labels and the colour key).
const HEATMAP_TOP: i32 = 54;
const HEATMAP_BOTTOM: i32 = 52;

/// How far toward (below 1) or past (above 1) its threshold a score is, capped at [`RATIO_CAP`]:
/// `score / threshold` for distances, `threshold / score` for p-values. `None` when the score is
/// not a number.
fn ratio(score: f64, threshold: f64, is_test: bool) -> Option<f64> {
    if score.is_nan() || threshold.is_nan() {
        return None;
    }
    let r = if is_test {
        if score <= 0.0 {
            RATIO_CAP
        } else {
            threshold / score
        }
    } else if threshold <= 0.0 {
        if score > 0.0 {
            RATIO_CAP
        } else {
            0.0
        }
    } else {
        score / threshold
    };
    Some(if r.is_nan() {
        0.0
    } else {
        r.clamp(0.0, RATIO_CAP)
    })
}

/// The colour of a heatmap cell: from a faint neutral through amber as the score nears its
/// threshold; red once the feature drifted, deeper the further past.
fn cell_colour(c: &Colours, theme: Theme, ratio: f64, drifted: bool) -> RGBColor {
    let base = mix(c.palette.background, c.palette.edge, 0.3);
    if drifted {
        let t = ((ratio - 1.0) / (RATIO_CAP - 1.0)).clamp(0.0, 1.0);
        mix(mix(c.drifted, c.palette.background, 0.3), c.drifted, t)
    } else {
        let amber = gate_colour(GateState::Pending, theme);
        mix(base, amber, ratio.clamp(0.0, 1.0).powi(2) * 0.5)
    }
}

fn draw_heatmap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    board: &DriftBoard,
    theme: Theme,
) -> Result<(), ChartError> {
    let c = Colours::of(theme);
    area.fill(&c.palette.background).map_err(draw_error)?;
    let (w, _) = area.dim_in_pixel();
    let w = w as i32;

    let columns = board
        .features
        .iter()
        .map(|f| f.points.len())
        .chain(std::iter::once(board.windows.len()))
        .max()
        .unwrap_or(0);
    let drifting_now = board
        .features
        .iter()
        .filter(|f| f.points.last().is_some_and(|p| p.drifted))
        .count();
    let title = format!("Drift · model {}", board.model.as_str());
    let counted =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let sub = format!(
        "{} × {} · {} drifting in the latest window · times in UTC",
        counted(board.features.len(), "feature", "features"),
        counted(columns, "window", "windows"),
        drifting_now
    );
    heading(area, &c, &title, &sub, w - 32)?;

    let names = style(12.0, c.palette.text, false, HPos::Right, VPos::Center);
    let widest = board
        .features
        .iter()
        .map(|f| text_width(area, &f.name, &names))
        .try_fold(0, |m, w| w.map(|w| m.max(w)))?;
    let label_w = widest.clamp(40, 160) + 12;
    let rows = i32::try_from(board.features.len().max(1)).unwrap_or(1);
    let frame = Frame {
        left: 16 + label_w,
        top: HEATMAP_TOP,
        width: w - 16 - label_w - 16,
        height: rows * ROW_H,
        x: (0.0, columns.max(1) as f64),
        y: (0.0, f64::from(rows)),
    };

    if board.features.is_empty() || columns == 0 {
        let note = if board.features.is_empty() {
            "no features monitored"
        } else {
            "no windows yet"
        };
        empty_note(area, &c, &frame, note)?;
    }

    let cell_w = f64::from(frame.width) / columns.max(1) as f64;
    let gap = if cell_w >= 5.0 { 1 } else { 0 };
    for (row, feature) in board.features.iter().enumerate() {
        let y0 = frame.top + row as i32 * ROW_H;
        let name = fit(area, &feature.name, &names, label_w - 12)?;
        text(area, &name, (frame.left - 8, y0 + ROW_H / 2), &names)?;
        for (col, point) in feature.points.iter().enumerate() {
            let Some(r) = ratio(point.score, feature.threshold, feature.is_test) else {
                continue;
            };
            let x0 = frame.px_x(col as f64);
            let x1 = frame.px_x(col as f64 + 1.0);
            let colour = cell_colour(&c, theme, r, point.drifted);
            rect(area, (x0 + gap, y0 + 1), (x1 - gap, y0 + ROW_H - 1), colour)?;
        }
    }

    // Time labels under the columns: the window ends, at most six, evenly spread.
    let times: Vec<Timestamp> = if board.windows.len() == columns {
        board.windows.iter().map(|win| win.end).collect()
    } else {
        board
            .features
            .iter()
            .find(|f| f.points.len() == columns)
            .map(|f| f.points.iter().map(|p| p.at).collect())
            .unwrap_or_default()
    };
    let x_label = style(11.0, c.palette.muted, false, HPos::Center, VPos::Top);
    if !times.is_empty() {
        let every = times.len().div_ceil(6).max(1);
        let last = times.len() - 1;
        let mut shown: Vec<usize> = (0..times.len()).step_by(every).collect();
        // The latest window always gets its label; drop a neighbour that would crowd it.
        if shown.last() != Some(&last) {
            if shown.len() > 1 && last - shown[shown.len() - 1] < every / 2 + 1 {
                shown.pop();
            }
            shown.push(last);
        }
        for i in shown {
            let x = frame.px_x(i as f64 + 0.5);
            text(area, &clock(times[i]), (x, frame.bottom() + 6), &x_label)?;
        }
    }

    // The colour key, bottom right: below threshold, near it, drifted, far past.
    let key_y = frame.bottom() + 30;
    let key = style(11.0, c.palette.muted, false, HPos::Left, VPos::Center);
    let swatches = [
        (cell_colour(&c, theme, 0.0, false), "far below threshold"),
        (cell_colour(&c, theme, 0.9, false), "near it"),
        (cell_colour(&c, theme, 1.0, true), "drifted"),
        (cell_colour(&c, theme, RATIO_CAP, true), "far past"),
    ];
    let mut x = frame.left;
    for (colour, name) in swatches {
        rect(area, (x, key_y - 5), (x + 10, key_y + 5), colour)?;
        text(area, name, (x + 14, key_y), &key)?;
        x += 14 + text_width(area, name, &key)? + 16;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_core::monitor::{DriftPoint, FeatureKind, Histogram, WindowDrift};
    use gatehouse_core::reading::ModelName;

    const T0: i64 = 1_795_000_000_000;
    const TEN_MIN: i64 = 600_000;

    fn point(i: i64, score: f64, drifted: bool) -> DriftPoint {
        DriftPoint {
            at: Timestamp(T0 + i * TEN_MIN),
            value: score,
            p_value: None,
            score,
            drifted,
            missing_share: 0.0,
            histogram: Histogram {
                labels: vec!["low".into(), "high".into()],
                reference: vec![0.5, 0.5],
                current: vec![1.0 - score.min(1.0), score.min(1.0)],
            },
        }
    }

    /// A distance feature whose score climbs past 0.1 in its last two windows.
    fn income() -> FeatureDrift {
        let scores = [0.02, 0.04, 0.05, 0.08, 0.13, 0.21];
        FeatureDrift {
            name: "income".into(),
            kind: FeatureKind::Numerical,
            method: "wasserstein".into(),
            is_test: false,
            threshold: 0.1,
            points: scores
                .iter()
                .enumerate()
                .map(|(i, s)| point(i as i64, *s, *s >= 0.1))
                .collect(),
            histogram: Histogram {
                labels: (0..12).map(|i| format!("{i}0–{}0", i + 1)).collect(),
                reference: vec![
                    0.02, 0.05, 0.1, 0.15, 0.18, 0.15, 0.12, 0.1, 0.06, 0.04, 0.02, 0.01,
                ],
                current: vec![
                    0.01, 0.02, 0.04, 0.08, 0.1, 0.14, 0.16, 0.15, 0.13, 0.09, 0.05, 0.03,
                ],
            },
            reference_missing_share: 0.01,
            onset: Some(Timestamp(T0 + 4 * TEN_MIN)),
        }
    }

    /// A test feature (p-values) that drifts in its last window, with a p-value of 0.
    fn plan() -> FeatureDrift {
        let scores = [0.8, 0.4, 0.2, 0.06, 0.0];
        FeatureDrift {
            name: "plan".into(),
            kind: FeatureKind::Categorical,
            method: "chisquare".into(),
            is_test: true,
            threshold: 0.05,
            points: scores
                .iter()
                .enumerate()
                .map(|(i, s)| point(i as i64, *s, *s <= 0.05))
                .collect(),
            histogram: Histogram {
                labels: vec!["basic".into(), "plus".into(), "pro".into()],
                reference: vec![0.5, 0.3, 0.2],
                current: vec![0.3, 0.3, 0.4],
            },
            reference_missing_share: 0.0,
            onset: Some(Timestamp(T0 + 4 * TEN_MIN)),
        }
    }

    #[test]
    fn the_score_chart_marks_the_onset_and_the_picked_window() {
        let f = income();
        let plain = score_chart(&f, Theme::Light).unwrap();
        assert!(
            texts(&plain)
                .iter()
                .any(|t| t == &format!("drift since {}", clock(f.onset.unwrap()))),
            "{:?}",
            texts(&plain)
        );
        let picked = drift_svg(
            DriftChart::Score {
                feature: &f,
                window: Some(2),
            },
            Theme::Light,
        )
        .unwrap();
        let rings = |svg: &str| {
            tags(svg, "circle")
                .into_iter()
                .filter(|t| attr(t, "r") == Some(&(MARKER_R + 4).to_string()))
                .count()
        };
        assert_eq!((rings(&plain), rings(&picked)), (0, 1));
        assert_eq!(markers(&picked).len(), markers(&plain).len());
        let calm = FeatureDrift {
            onset: None,
            ..income()
        };
        let svg = score_chart(&calm, Theme::Light).unwrap();
        assert!(!texts(&svg).iter().any(|t| t.starts_with("drift since")));
    }

    #[test]
    fn marks_sit_where_the_markers_are_drawn() {
        let f = income();
        let marks = score_marks(&f);
        assert_eq!(marks.len(), f.points.len());
        assert!(
            marks.windows(2).all(|m| m[0].1 < m[1].1),
            "left to right in time"
        );
        let (w, h) = CHART_SIZE;
        assert!(marks
            .iter()
            .all(|(_, x, y)| (0.0..f64::from(w)).contains(x) && (0.0..f64::from(h)).contains(y)));
        let svg = score_chart(&f, Theme::Light).unwrap();
        let drawn: Vec<(f64, f64)> = tags(&svg, "circle")
            .into_iter()
            .map(|t| {
                // The first attribute has no space before it in `tags`' text.
                let t = format!(" {t}");
                let n = |a| attr(&t, a).unwrap().parse::<f64>().unwrap();
                (n("cx"), n("cy"))
            })
            .collect();
        for (_, x, y) in &marks {
            assert!(
                drawn
                    .iter()
                    .any(|(cx, cy)| (cx - x).abs() < 1.0 && (cy - y).abs() < 1.0),
                "no marker at {x},{y}: {drawn:?}"
            );
        }
    }

    #[test]
    fn a_picked_window_has_its_own_histogram_and_every_chart_exports_as_png() {
        let f = income();
        let svg = drift_svg(
            DriftChart::Histogram {
                feature: &f,
                window: Some(1),
            },
            Theme::Light,
        )
        .unwrap();
        let title = format!(
            "income · reference vs window ending {}",
            clock(f.points[1].at)
        );
        assert!(texts(&svg).contains(&title), "{:?}", texts(&svg));
        let b = board(vec![income(), plan()]);
        for chart in [
            DriftChart::Score {
                feature: &f,
                window: None,
            },
            DriftChart::Histogram {
                feature: &f,
                window: Some(0),
            },
            DriftChart::Heatmap(&b),
        ] {
            let png = export_drift(chart, Format::Png, Theme::Dark).unwrap();
            assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
            let svg = export_drift(chart, Format::Svg, Theme::Dark).unwrap();
            assert_eq!(svg, drift_svg(chart, Theme::Dark).unwrap().into_bytes());
        }
    }

    fn board(features: Vec<FeatureDrift>) -> DriftBoard {
        let n = features.iter().map(|f| f.points.len()).max().unwrap_or(0);
        DriftBoard {
            model: ModelName::from("churn"),
            windows: (0..n as i64)
                .map(|i| WindowDrift {
                    start: Timestamp(T0 + (i - 1) * TEN_MIN),
                    end: Timestamp(T0 + i * TEN_MIN),
                    share_drifted: 0.0,
                    dataset_drift: false,
                })
                .collect(),
            features,
            drift_share: 0.5,
        }
    }

    fn hex(c: RGBColor) -> String {
        format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
    }

    fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
        let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        let len = tag[start..].find('"')?;
        Some(&tag[start..start + len])
    }

    /// Every `<tag …/>` of an SVG as its attribute text.
    fn tags<'a>(svg: &'a str, tag: &str) -> Vec<&'a str> {
        svg.split(&format!("<{tag} "))
            .skip(1)
            .map(|rest| &rest[..rest.find("/>").unwrap()])
            .collect()
    }

    /// The fills of the score markers (circles of the marker radius), in drawing order.
    fn markers(svg: &str) -> Vec<String> {
        tags(svg, "circle")
            .into_iter()
            .filter(|t| attr(t, "r") == Some(&MARKER_R.to_string()))
            .map(|t| attr(t, "fill").unwrap().to_owned())
            .collect()
    }

    fn texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .map(|rest| {
                let body = &rest[rest.find('>').unwrap() + 1..rest.find("</text>").unwrap()];
                body.trim()
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&quot;", "\"")
                    .replace("&apos;", "'")
                    .replace("&amp;", "&")
            })
            .collect()
    }

    fn assert_svg(svg: &str) {
        assert!(svg.starts_with("<svg"), "not an svg: {}", &svg[..40]);
        assert!(svg.trim_end().ends_with("</svg>"), "unterminated svg");
    }

    fn red(theme: Theme) -> String {
        hex(gate_colour(GateState::Blocked, theme))
    }

    #[test]
    fn the_score_chart_marks_every_window_and_the_drifted_ones_red() {
        for (feature, drifted) in [(income(), 2), (plan(), 1)] {
            for theme in [Theme::Light, Theme::Dark] {
                let svg = score_chart(&feature, theme).unwrap();
                assert_svg(&svg);
                let fills = markers(&svg);
                assert_eq!(fills.len(), feature.points.len(), "{}", feature.name);
                let expected: Vec<String> = feature
                    .points
                    .iter()
                    .map(|p| {
                        hex(if p.drifted {
                            gate_colour(GateState::Blocked, theme)
                        } else {
                            gate_colour(GateState::Passed, theme)
                        })
                    })
                    .collect();
                assert_eq!(fills, expected);
                assert_eq!(fills.iter().filter(|f| **f == red(theme)).count(), drifted);
            }
        }
    }

    #[test]
    fn the_score_chart_names_the_feature_method_threshold_and_direction() {
        let written = texts(&score_chart(&income(), Theme::Light).unwrap());
        assert!(
            written.contains(&"income · wasserstein".to_owned()),
            "{written:?}"
        );
        assert!(written.contains(&"threshold 0.1".to_owned()), "{written:?}");
        assert!(written
            .iter()
            .any(|t| t.starts_with("distance; drift when ≥ threshold")));
        assert!(
            written.contains(&"11:20".to_owned())
                || written
                    .iter()
                    .any(|t| t.len() == 5 && t.as_bytes()[2] == b':')
        );

        let written = texts(&score_chart(&plan(), Theme::Light).unwrap());
        assert!(written.contains(&"plan · chisquare".to_owned()));
        assert!(written.contains(&"threshold 0.05".to_owned()));
        assert!(written
            .iter()
            .any(|t| t.starts_with("p-value; drift when ≤ threshold")));
        // The log axis runs from 1 down by decades.
        assert!(written.contains(&"1".to_owned()) && written.contains(&"0.01".to_owned()));
    }

    #[test]
    fn p_values_sit_lower_the_smaller_they_are() {
        let svg = score_chart(&plan(), Theme::Light).unwrap();
        let ys: Vec<i32> = tags(&svg, "circle")
            .into_iter()
            .filter(|t| attr(t, "r") == Some("4"))
            .map(|t| attr(t, "cy").unwrap().parse().unwrap())
            .collect();
        assert!(ys.windows(2).all(|w| w[0] < w[1]), "{ys:?}");
    }

    #[test]
    fn the_threshold_line_is_dashed_at_the_threshold() {
        let svg = score_chart(&income(), Theme::Light).unwrap();
        let muted = hex(Theme::Light.palette().muted);
        let dashes = tags(&svg, "polyline")
            .into_iter()
            .filter(|t| attr(t, "stroke") == Some(muted.as_str()))
            .count();
        assert!(dashes > 20, "{dashes} dashes");
    }

    #[test]
    fn non_finite_scores_are_left_out_and_empty_features_still_draw() {
        let mut f = income();
        f.points[1].score = f64::NAN;
        f.points[2].score = f64::INFINITY;
        let svg = score_chart(&f, Theme::Dark).unwrap();
        assert_eq!(markers(&svg).len(), 4);

        let mut empty = income();
        empty.points.clear();
        empty.histogram = Histogram {
            labels: vec![],
            reference: vec![],
            current: vec![],
        };
        empty.threshold = f64::NAN;
        for svg in [
            score_chart(&empty, Theme::Light).unwrap(),
            histogram_chart(&empty, Theme::Light).unwrap(),
        ] {
            assert_svg(&svg);
            let written = texts(&svg);
            assert!(written.iter().any(|t| t.starts_with("income · ")));
            assert!(written
                .iter()
                .any(|t| t == "no windows yet" || t == "no values to bin"));
        }
        let one = FeatureDrift {
            points: vec![point(0, 0.3, true)],
            ..income()
        };
        assert_eq!(markers(&score_chart(&one, Theme::Light).unwrap()).len(), 1);
    }

    #[test]
    fn the_histogram_draws_reference_and_current_bars_with_a_legend() {
        for theme in [Theme::Light, Theme::Dark] {
            let f = income();
            let svg = histogram_chart(&f, theme).unwrap();
            assert_svg(&svg);
            let accent = hex(Colours::of(theme).accent);
            let bars = tags(&svg, "rect")
                .into_iter()
                .filter(|t| attr(t, "fill") == Some(accent.as_str()))
                .count();
            // One bar per bin, plus the legend's square.
            assert_eq!(bars, f.histogram.labels.len() + 1);
            let written = texts(&svg);
            assert!(written.iter().any(|t| t.starts_with("income")));
            assert!(written.contains(&"reference".to_owned()));
            assert!(written.contains(&"latest window".to_owned()));
            // Twelve numeric bins do not fit side by side: some labels are left out, none cut.
            let shown = written.iter().filter(|t| t.contains('–')).count();
            assert!((3..12).contains(&shown), "{shown} bin labels");
        }
        let written = texts(&histogram_chart(&plan(), Theme::Light).unwrap());
        for cat in ["basic", "plus", "pro"] {
            assert!(written.contains(&cat.to_owned()), "{cat}");
        }
    }

    #[test]
    fn the_heatmap_has_a_row_per_feature_and_red_drifted_cells() {
        let b = board(vec![income(), plan()]);
        for theme in [Theme::Light, Theme::Dark] {
            let svg = heatmap(&b, theme).unwrap();
            assert_svg(&svg);
            let written = texts(&svg);
            assert!(written.contains(&"income".to_owned()) && written.contains(&"plan".to_owned()));
            assert!(written.iter().any(|t| t.contains("churn")));
            assert!(written
                .iter()
                .any(|t| t.contains("2 drifting in the latest window")));
            let cells: Vec<(i32, String)> = tags(&svg, "rect")
                .into_iter()
                .filter(|t| attr(t, "height") == Some(&(ROW_H - 2).to_string()))
                .map(|t| {
                    (
                        attr(t, "y").unwrap().parse().unwrap(),
                        attr(t, "fill").unwrap().to_owned(),
                    )
                })
                .collect();
            assert_eq!(cells.len(), 6 + 5);
            let reddish = |fill: &str| {
                let ch = |i: usize| u8::from_str_radix(&fill[i..i + 2], 16).unwrap() as i32;
                let (r, g, b) = (ch(1), ch(3), ch(5));
                // Red keeps green and blue under half of red; amber keeps green above it.
                2 * g < r && 2 * b < r
            };
            let drifted: Vec<bool> = b
                .features
                .iter()
                .flat_map(|f| f.points.iter().map(|p| p.drifted))
                .collect();
            for ((_, fill), d) in cells.iter().zip(&drifted) {
                assert_eq!(reddish(fill), *d, "{fill} drifted={d}");
            }
            // The zero p-value is as far past as the scale goes: the full blocked red.
            assert_eq!(cells[10].1, red(theme));
        }
    }

    #[test]
    fn an_empty_board_is_still_a_chart() {
        let svg = heatmap(&board(vec![]), Theme::Light).unwrap();
        assert_svg(&svg);
        assert!(texts(&svg).contains(&"no features monitored".to_owned()));
        let mut f = income();
        f.points.clear();
        let svg = heatmap(&board(vec![f]), Theme::Dark).unwrap();
        assert!(texts(&svg).contains(&"no windows yet".to_owned()));
    }

    #[test]
    fn the_themes_differ() {
        let f = income();
        let b = board(vec![income(), plan()]);
        let pairs = [
            (score_chart(&f, Theme::Light), score_chart(&f, Theme::Dark)),
            (
                histogram_chart(&f, Theme::Light),
                histogram_chart(&f, Theme::Dark),
            ),
            (heatmap(&b, Theme::Light), heatmap(&b, Theme::Dark)),
        ];
        for (light, dark) in pairs {
            let (light, dark) = (light.unwrap(), dark.unwrap());
            assert!(light.contains(&hex(Theme::Light.palette().background)));
            assert!(dark.contains(&hex(Theme::Dark.palette().background)));
            assert_ne!(light, dark);
        }
    }

    #[test]
    fn ratios_measure_how_far_past_the_threshold() {
        let check = |score: f64, threshold: f64, is_test: bool, expected: Option<f64>| {
            assert_eq!(
                ratio(score, threshold, is_test),
                expected,
                "{score} {threshold} {is_test}"
            );
        };
        check(0.05, 0.1, false, Some(0.5));
        check(0.2, 0.1, false, Some(2.0));
        check(9.0, 0.1, false, Some(RATIO_CAP));
        check(0.1, 0.05, true, Some(0.5));
        check(0.0, 0.05, true, Some(RATIO_CAP));
        check(f64::INFINITY, 0.1, false, Some(RATIO_CAP));
        check(f64::NAN, 0.1, false, None);
        check(0.0, 0.0, false, Some(0.0));
    }

    #[test]
    fn clock_times_are_utc_minutes() {
        assert_eq!(clock(Timestamp(0)), "00:00");
        assert_eq!(
            clock(Timestamp(13 * 3_600_000 + 5 * 60_000 + 59_999)),
            "13:05"
        );
        assert_eq!(clock(Timestamp(-60_000)), "23:59");
    }

    /// Writes sample charts to `GATEHOUSE_CHARTS_OUT` for a person to look at.
    #[test]
    fn exports_for_review() {
        let Ok(dir) = std::env::var("GATEHOUSE_CHARTS_OUT") else {
            return;
        };
        let b = board(vec![income(), plan()]);
        for (theme, name) in [(Theme::Light, "light"), (Theme::Dark, "dark")] {
            for f in &b.features {
                let score = score_chart(f, theme).unwrap();
                std::fs::write(format!("{dir}/score-{}-{name}.svg", f.name), score).unwrap();
                let hist = histogram_chart(f, theme).unwrap();
                std::fs::write(format!("{dir}/hist-{}-{name}.svg", f.name), hist).unwrap();
            }
            let map = heatmap(&b, theme).unwrap();
            std::fs::write(format!("{dir}/heatmap-{name}.svg"), map).unwrap();
        }
    }
}
