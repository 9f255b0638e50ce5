//! The loop diagram: stages, edges and gate stop nodes drawn at the coordinates of
//! [`LoopLayout`], coloured by a [`LoopStatus`], with a title and a legend of gate states. The
//! documentation export ([`render_loop_export`]) is the same drawing with the owners, title and
//! states of a [`LoopExport`].
//!
//! The same drawing runs on the SVG backend at the layout's own size and on the bitmap backend at
//! twice that size; every coordinate goes through [`Canvas`], which applies the scale.

use gatehouse_core::gate::{GateState, GateStatus};
use gatehouse_core::layout::{octagon, Anchor, GateNode, LoopLayout, Point};
use gatehouse_core::stage::Stage;
use gatehouse_core::status::{LoopStatus, StageState, StageStatus};
use plotters::backend::{BitMapBackend, DrawingBackend, SVGBackend};
use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, DrawingAreaErrorKind, IntoDrawingArea};
use plotters::element::{PathElement, Polygon};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, FontDesc, FontFamily, FontStyle, RGBColor, TextStyle};

use crate::error::ChartError;
use crate::font;
use crate::format::{encode_png, Format};
use crate::loop_export::{LoopExport, States};
use crate::theme::{gate_colour, stage_colour, Palette, Theme};

/// The gap between the canvas edge and the title or legend, in layout units.
const MARGIN: f64 = 24.0;
/// The widest the title line may grow before it is shortened with an ellipsis.
const TITLE_MAX_WIDTH: f64 = 640.0;
/// The widest an export's title lines may grow: they stop short of the top gate's label.
const EXPORT_TITLE_MAX_WIDTH: f64 = 520.0;
/// The radius of a stage box's rounded corners.
const BOX_RADIUS: f64 = 10.0;
/// The radius of the small octagons in the legend.
const LEGEND_R: f64 = 7.0;
/// The distance between legend rows.
const LEGEND_ROW: f64 = 22.0;

/// The gate states in the order the legend lists them: the most urgent first.
const LEGEND: [GateState; 5] = [
    GateState::Blocked,
    GateState::Pending,
    GateState::Passed,
    GateState::Overridden,
    GateState::Unknown,
];

/// Renders the loop of `status` at the coordinates of `layout`, as the bytes of an SVG or PNG
/// file. SVG is drawn at the layout's size (1120×680), PNG at twice that (2240×1360).
///
/// Gates of the layout that the status does not know are drawn as unknown; gates of the status
/// that the layout does not place are left out, as the panel does.
pub fn render_loop(
    status: &LoopStatus,
    layout: &LoopLayout,
    format: Format,
    theme: Theme,
) -> Result<Vec<u8>, ChartError> {
    render(status, layout, None, format, theme)
}

/// Renders the documentation export of `status`: the loop of [`render_loop`], titled with the
/// workspace and the date of `export`, every stage and gate with its owner's name, and each gate
/// with its state written under it, or, for a blank export, every gate neutral.
pub fn render_loop_export(
    export: &LoopExport,
    status: &LoopStatus,
    layout: &LoopLayout,
    format: Format,
    theme: Theme,
) -> Result<Vec<u8>, ChartError> {
    render(status, layout, Some(export), format, theme)
}

fn render(
    status: &LoopStatus,
    layout: &LoopLayout,
    export: Option<&LoopExport>,
    format: Format,
    theme: Theme,
) -> Result<Vec<u8>, ChartError> {
    font::ensure_registered()?;
    let scale = format.scale();
    let width = (layout.width * scale).round().max(1.0) as u32;
    let height = (layout.height * scale).round().max(1.0) as u32;
    match format {
        Format::Svg => {
            let mut svg = String::new();
            {
                let area = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
                let canvas = Canvas {
                    area: &area,
                    scale,
                    fake_bold: false,
                };
                draw_loop(&canvas, status, layout, export, theme)?;
                area.present().map_err(draw_error)?;
            }
            Ok(svg.into_bytes())
        }
        Format::Png => {
            let mut rgb = vec![0u8; width as usize * height as usize * 3];
            {
                let area =
                    BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
                let canvas = Canvas {
                    area: &area,
                    scale,
                    // Only a regular face is embedded; bitmaps thicken bold text by overprinting.
                    fake_bold: true,
                };
                draw_loop(&canvas, status, layout, export, theme)?;
                area.present().map_err(draw_error)?;
            }
            encode_png(&rgb, width, height)
        }
    }
}

fn draw_error<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> ChartError {
    ChartError::Draw(e.to_string())
}

/// Draws everything in painting order: background, title, edges, stages, gates, legend, model.
fn draw_loop<DB: DrawingBackend>(
    canvas: &Canvas<'_, DB>,
    status: &LoopStatus,
    layout: &LoopLayout,
    export: Option<&LoopExport>,
    theme: Theme,
) -> Result<(), ChartError> {
    let palette = theme.palette();
    canvas.area.fill(&palette.background).map_err(draw_error)?;
    let blank = export.is_some_and(|e| e.states == States::Blank);

    match export {
        None => {
            let title = format!("Gatehouse · {} · model {}", status.workspace, status.model);
            canvas.text(
                &title,
                Point {
                    x: MARGIN,
                    y: MARGIN + 4.0,
                },
                Type::new(15.0, palette.text).bold(),
                HPos::Left,
                Some(TITLE_MAX_WIDTH),
            )?;
        }
        Some(export) => {
            canvas.text(
                &export.title,
                Point {
                    x: MARGIN,
                    y: MARGIN + 4.0,
                },
                Type::new(16.0, palette.text).bold(),
                HPos::Left,
                Some(EXPORT_TITLE_MAX_WIDTH),
            )?;
            canvas.text(
                &export.subtitle,
                Point {
                    x: MARGIN,
                    y: MARGIN + 26.0,
                },
                Type::new(12.0, palette.muted),
                HPos::Left,
                Some(EXPORT_TITLE_MAX_WIDTH),
            )?;
        }
    }

    for edge in &layout.edges {
        canvas.polyline(&edge.points, palette.edge, 2.0)?;
        canvas.polygon(&edge.head, palette.edge)?;
    }

    for placed in &layout.stages {
        let (title, state, detail) = stage_of(status, placed.stage);
        let border = if blank {
            palette.muted
        } else {
            stage_colour(state, theme)
        };
        // An export names who answers for the stage; the panel's drawing what it holds.
        let second = match export {
            None => detail,
            Some(e) => e.owner_of(placed.stage).map_or("", |o| o.name.as_str()),
        };
        draw_stage(canvas, &palette, placed, title, border, second)?;
    }

    for node in &layout.gates {
        let gate = status.gates.iter().find(|g| g.id == node.gate);
        let state = gate.map_or(GateState::Unknown, |g| g.state);
        let title = gate.map_or(node.gate.as_str(), |g: &GateStatus| g.title.as_str());
        let fill = if blank {
            palette.gate_neutral
        } else {
            gate_colour(state, theme)
        };
        canvas.polygon(&node.octagon, fill)?;
        canvas.closed_outline(&node.octagon, palette.gate_border, 2.0)?;
        let Some(_) = export else {
            let h = h_pos(node.label_anchor);
            canvas.baseline_text(title, node.label, Type::new(12.0, palette.text), h)?;
            continue;
        };
        let mut lines = vec![(title, Type::new(12.0, palette.text).bold())];
        lines.push((
            gate.map_or("", |g| g.owner.name.as_str()),
            Type::new(11.0, palette.muted),
        ));
        if !blank {
            canvas.text(
                glyph(state),
                node.center,
                Type::new(node.radius * 0.95, palette.gate_border).bold(),
                HPos::Center,
                None,
            )?;
            lines.push((
                state.id(),
                Type::new(11.0, gate_colour(state, theme)).bold(),
            ));
        }
        gate_label(canvas, node, &lines)?;
    }

    if blank {
        draw_blank_legend(canvas, &palette, layout)?;
    } else {
        draw_legend(canvas, &palette, theme, layout)?;
    }

    canvas.text(
        status.model.as_str(),
        layout.center,
        Type::new(20.0, palette.text).bold(),
        HPos::Center,
        Some(240.0),
    )?;
    if export.is_some() {
        let below = Point {
            x: layout.center.x,
            y: layout.center.y + 22.0,
        };
        canvas.text(
            "model followed",
            below,
            Type::new(11.0, palette.muted),
            HPos::Center,
            None,
        )?;
    }
    Ok(())
}

fn h_pos(anchor: Anchor) -> HPos {
    match anchor {
        Anchor::Start => HPos::Left,
        Anchor::Middle => HPos::Center,
        Anchor::End => HPos::Right,
    }
}

/// The white sign inside a stop node, as the panel draws it: the state reads without colour too.
fn glyph(state: GateState) -> &'static str {
    match state {
        GateState::Blocked => "✕",
        GateState::Pending => "…",
        GateState::Passed => "✓",
        GateState::Overridden => "!",
        GateState::Unknown => "?",
    }
}

/// A gate's label of several lines at the layout's label point. A label above its node grows
/// upwards and one below it downwards, away from the node; one beside it is centred on the point.
fn gate_label<DB: DrawingBackend>(
    canvas: &Canvas<'_, DB>,
    node: &GateNode,
    lines: &[(&str, Type)],
) -> Result<(), ChartError> {
    let leading = |ty: &Type| ty.size * 1.35;
    let extent: f64 = lines.iter().skip(1).map(|(_, ty)| leading(ty)).sum();
    let mut y = if node.label.y < node.center.y {
        node.label.y - extent
    } else if node.label_anchor == Anchor::Middle {
        // Below a node between two boxes (data quality): clear of the boxes' lower edges.
        node.label.y + 5.0
    } else {
        node.label.y - extent / 2.0
    };
    for (i, (text, ty)) in lines.iter().enumerate() {
        if i > 0 {
            y += leading(ty);
        }
        let at = Point { x: node.label.x, y };
        canvas.baseline_text(text, at, *ty, h_pos(node.label_anchor))?;
    }
    Ok(())
}

/// A stage's title, state and detail from the status, or its bare name when the status lacks it.
fn stage_of(status: &LoopStatus, stage: Stage) -> (&str, StageState, &str) {
    match status.stages.iter().find(|s| s.id == stage) {
        Some(StageStatus {
            title,
            state,
            detail,
            ..
        }) => (title.as_str(), *state, detail.as_str()),
        None => (stage.title(), StageState::Unknown, ""),
    }
}

fn draw_stage<DB: DrawingBackend>(
    canvas: &Canvas<'_, DB>,
    palette: &Palette,
    placed: &gatehouse_core::layout::StageBox,
    title: &str,
    border: RGBColor,
    detail: &str,
) -> Result<(), ChartError> {
    let outline = rounded_rect(placed.center, placed.width, placed.height, BOX_RADIUS);
    canvas.polygon(&outline, palette.surface)?;
    canvas.closed_outline(&outline, border, 2.0)?;
    let inner = placed.width - 16.0;
    let c = placed.center;
    if detail.is_empty() {
        canvas.text(
            title,
            c,
            Type::new(14.0, palette.text).bold(),
            HPos::Center,
            Some(inner),
        )?;
    } else {
        let top = Point {
            x: c.x,
            y: c.y - 8.0,
        };
        let bottom = Point {
            x: c.x,
            y: c.y + 11.0,
        };
        canvas.text(
            title,
            top,
            Type::new(14.0, palette.text).bold(),
            HPos::Center,
            Some(inner),
        )?;
        canvas.text(
            detail,
            bottom,
            Type::new(11.0, palette.muted),
            HPos::Center,
            Some(inner),
        )?;
    }
    Ok(())
}

/// The five gate states, one row each, in the bottom-left corner.
fn draw_legend<DB: DrawingBackend>(
    canvas: &Canvas<'_, DB>,
    palette: &Palette,
    theme: Theme,
    layout: &LoopLayout,
) -> Result<(), ChartError> {
    let last_row = layout.height - MARGIN;
    let first_row = last_row - LEGEND_ROW * (LEGEND.len() - 1) as f64;
    let heading = Point {
        x: MARGIN,
        y: first_row - LEGEND_ROW,
    };
    canvas.text(
        "Gates",
        heading,
        Type::new(12.0, palette.muted).bold(),
        HPos::Left,
        None,
    )?;
    for (i, state) in LEGEND.into_iter().enumerate() {
        let y = first_row + LEGEND_ROW * i as f64;
        let corners = octagon(
            Point {
                x: MARGIN + LEGEND_R,
                y,
            },
            LEGEND_R,
        );
        canvas.polygon(&corners, gate_colour(state, theme))?;
        let label = Point {
            x: MARGIN + 2.0 * LEGEND_R + 10.0,
            y,
        };
        canvas.text(
            state.id(),
            label,
            Type::new(12.0, palette.text),
            HPos::Left,
            None,
        )?;
    }
    Ok(())
}

/// The legend of a blank export: what a stop node and a name mean, since no state is shown.
fn draw_blank_legend<DB: DrawingBackend>(
    canvas: &Canvas<'_, DB>,
    palette: &Palette,
    layout: &LoopLayout,
) -> Result<(), ChartError> {
    let last_row = layout.height - MARGIN;
    let first_row = last_row - LEGEND_ROW;
    let heading = Point {
        x: MARGIN,
        y: first_row - LEGEND_ROW,
    };
    canvas.text(
        "Reading the loop",
        heading,
        Type::new(12.0, palette.muted).bold(),
        HPos::Left,
        None,
    )?;
    let node = octagon(
        Point {
            x: MARGIN + LEGEND_R,
            y: first_row,
        },
        LEGEND_R,
    );
    canvas.polygon(&node, palette.gate_neutral)?;
    let text_x = MARGIN + 2.0 * LEGEND_R + 10.0;
    let rows = [
        (first_row, "a gate: work stops here until its checks pass"),
        (last_row, "names in stages and under gates: their owners"),
    ];
    for (y, words) in rows {
        canvas.text(
            words,
            Point { x: text_x, y },
            Type::new(12.0, palette.text),
            HPos::Left,
            None,
        )?;
    }
    let stage = rounded_rect(
        Point {
            x: MARGIN + LEGEND_R,
            y: last_row,
        },
        2.0 * LEGEND_R,
        1.4 * LEGEND_R,
        3.0,
    );
    canvas.polygon(&stage, palette.surface)?;
    canvas.closed_outline(&stage, palette.muted, 1.5)
}

/// The corners of a rectangle with rounded corners, clockwise from the top-left arc.
fn rounded_rect(center: Point, width: f64, height: f64, radius: f64) -> Vec<Point> {
    const STEPS: usize = 6;
    let r = radius.min(width / 2.0).min(height / 2.0);
    let (hw, hh) = (width / 2.0 - r, height / 2.0 - r);
    // Corner centres with the angle each arc starts at (y points down, so angles run clockwise).
    let corners = [
        (center.x - hw, center.y - hh, std::f64::consts::PI),
        (center.x + hw, center.y - hh, 1.5 * std::f64::consts::PI),
        (center.x + hw, center.y + hh, 0.0),
        (center.x - hw, center.y + hh, 0.5 * std::f64::consts::PI),
    ];
    corners
        .into_iter()
        .flat_map(|(cx, cy, start)| {
            (0..=STEPS).map(move |i| {
                let a = start + std::f64::consts::FRAC_PI_2 * i as f64 / STEPS as f64;
                Point {
                    x: cx + r * a.cos(),
                    y: cy + r * a.sin(),
                }
            })
        })
        .collect()
}

/// How a piece of text is set: size in layout pixels, colour and weight.
#[derive(Debug, Clone, Copy)]
struct Type {
    size: f64,
    colour: RGBColor,
    bold: bool,
}

impl Type {
    fn new(size: f64, colour: RGBColor) -> Type {
        Type {
            size,
            colour,
            bold: false,
        }
    }

    fn bold(self) -> Type {
        Type { bold: true, ..self }
    }
}

/// A drawing area with the export's scale: callers speak layout units, the canvas output pixels.
struct Canvas<'a, DB: DrawingBackend> {
    area: &'a DrawingArea<DB, Shift>,
    scale: f64,
    /// Whether bold text is thickened by drawing it twice, for backends without a bold face.
    fake_bold: bool,
}

impl<DB: DrawingBackend> Canvas<'_, DB> {
    fn px(&self, p: Point) -> (i32, i32) {
        (
            (p.x * self.scale).round() as i32,
            (p.y * self.scale).round() as i32,
        )
    }

    fn stroke(&self, width: f64) -> u32 {
        (width * self.scale).round().max(1.0) as u32
    }

    fn polygon(&self, points: &[Point], colour: RGBColor) -> Result<(), ChartError> {
        let coords: Vec<(i32, i32)> = points.iter().map(|p| self.px(*p)).collect();
        self.area
            .draw(&Polygon::new(coords, colour.filled()))
            .map_err(draw_error)
    }

    fn polyline(&self, points: &[Point], colour: RGBColor, width: f64) -> Result<(), ChartError> {
        let coords: Vec<(i32, i32)> = points.iter().map(|p| self.px(*p)).collect();
        let style = colour.stroke_width(self.stroke(width));
        self.area
            .draw(&PathElement::new(coords, style))
            .map_err(draw_error)
    }

    fn closed_outline(
        &self,
        points: &[Point],
        colour: RGBColor,
        width: f64,
    ) -> Result<(), ChartError> {
        let mut ring = points.to_vec();
        if let Some(first) = points.first() {
            ring.push(*first);
        }
        self.polyline(&ring, colour, width)
    }

    fn style(&self, ty: Type, h: HPos) -> TextStyle<'static> {
        let weight = if ty.bold {
            FontStyle::Bold
        } else {
            FontStyle::Normal
        };
        // Plotters sets text at an em of size / 1.24, so scale up to get `ty.size` pixels per em.
        let size = ty.size * 1.24 * self.scale;
        TextStyle {
            font: FontDesc::new(FontFamily::Name(font::FAMILY), size, weight),
            color: ty.colour.to_backend_color(),
            pos: Pos::new(h, VPos::Center),
        }
    }

    /// Writes `text` centred vertically on `at`, aligned by `h`, shortened with an ellipsis when
    /// wider than `max_width` layout units.
    fn text(
        &self,
        text: &str,
        at: Point,
        ty: Type,
        h: HPos,
        max_width: Option<f64>,
    ) -> Result<(), ChartError> {
        let style = self.style(ty, h);
        let text = match max_width {
            Some(max) => self.fit(text, &style, max * self.scale)?,
            None => text.to_owned(),
        };
        let (x, y) = self.px(at);
        self.area
            .draw_text(&text, &style, (x, y))
            .map_err(draw_error)?;
        if ty.bold && self.fake_bold {
            self.area
                .draw_text(&text, &style, (x + 1, y))
                .map_err(draw_error)?;
        }
        Ok(())
    }

    /// Writes `text` with its baseline on `at`, as SVG's `<text>` does in the panel: the layout's
    /// label points are baselines.
    fn baseline_text(&self, text: &str, at: Point, ty: Type, h: HPos) -> Result<(), ChartError> {
        // The middle of lower-case letters stands about a third of an em above the baseline.
        let middle = Point {
            x: at.x,
            y: at.y - ty.size * 0.35,
        };
        self.text(text, middle, ty, h, None)
    }

    /// `text`, or its longest prefix with an ellipsis that fits in `max` output pixels.
    fn fit(&self, text: &str, style: &TextStyle<'_>, max: f64) -> Result<String, ChartError> {
        let width = |s: &str| -> Result<f64, ChartError> {
            let (w, _) = self.area.estimate_text_size(s, style).map_err(draw_error)?;
            Ok(f64::from(w))
        };
        if width(text)? <= max {
            return Ok(text.to_owned());
        }
        let chars: Vec<char> = text.chars().collect();
        for keep in (0..chars.len()).rev() {
            let candidate: String = chars[..keep]
                .iter()
                .collect::<String>()
                .trim_end()
                .to_owned()
                + "…";
            if width(&candidate)? <= max {
                return Ok(candidate);
            }
        }
        Ok("…".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_core::demo;
    use gatehouse_core::gate::{GateOverride, LatestReadings};
    use gatehouse_core::layout::layout_for;
    use gatehouse_core::policy::Policy;
    use gatehouse_core::ports::WorkspaceRead;
    use gatehouse_core::reading::ModelName;
    use gatehouse_core::registry::Model;
    use gatehouse_core::status::loop_status;
    use gatehouse_core::time::Timestamp;
    use gatehouse_core::Error;

    /// The demo workspace held in memory.
    struct Memory {
        latest: LatestReadings,
        models: Vec<Model>,
    }

    impl WorkspaceRead for Memory {
        async fn latest_readings(&self, _: &ModelName) -> Result<LatestReadings, Error> {
            Ok(self.latest.clone())
        }
        async fn overrides(&self) -> Result<Vec<GateOverride>, Error> {
            Ok(Vec::new())
        }
        async fn models(&self) -> Result<Vec<Model>, Error> {
            Ok(self.models.clone())
        }
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        // The in-memory workspace never waits, so one poll with a no-op waker finishes the future.
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("the in-memory workspace never waits"),
        }
    }

    /// The demo's loop: one gate blocked, one pending, one unknown, the rest passed.
    fn demo_loop() -> (LoopStatus, LoopLayout) {
        let policy = Policy::parse(demo::POLICY, "gatehouse.toml").unwrap();
        let now = Timestamp(1_795_000_000_000);
        let ws = demo::generate(demo::DEFAULT_SEED, now);
        // Readings come oldest first, so the last one written per signal is the latest.
        let latest: LatestReadings = ws
            .readings
            .into_iter()
            .filter(|r| r.model == policy.model)
            .map(|r| (r.signal.clone(), r))
            .collect();
        let memory = Memory {
            latest,
            models: ws.models,
        };
        let status = block_on(loop_status(&policy, &memory, now)).unwrap();
        (status, layout_for(&policy))
    }

    fn gate_in(status: &LoopStatus, state: GateState) -> &GateStatus {
        status
            .gates
            .iter()
            .find(|g| g.state == state)
            .unwrap_or_else(|| panic!("the demo has no {state:?} gate"))
    }

    fn node_of<'a>(
        layout: &'a LoopLayout,
        gate: &GateStatus,
    ) -> &'a gatehouse_core::layout::GateNode {
        layout.gates.iter().find(|n| n.gate == gate.id).unwrap()
    }

    fn hex(c: RGBColor) -> String {
        format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
    }

    fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
        let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        let len = tag[start..].find('"')?;
        Some(&tag[start..start + len])
    }

    /// Every `<polygon>` of an SVG as its fill and its points.
    fn polygons(svg: &str) -> Vec<(String, Vec<(f64, f64)>)> {
        svg.split("<polygon")
            .skip(1)
            .map(|rest| {
                let tag = &rest[..rest.find("/>").unwrap()];
                let points = attr(tag, "points")
                    .unwrap()
                    .split_whitespace()
                    .map(|pair| {
                        let (x, y) = pair.split_once(',').unwrap();
                        (x.parse().unwrap(), y.parse().unwrap())
                    })
                    .collect();
                (attr(tag, "fill").unwrap().to_owned(), points)
            })
            .collect()
    }

    /// The content of every `<text>` of an SVG, unescaped.
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

    fn svg(status: &LoopStatus, layout: &LoopLayout, theme: Theme) -> String {
        String::from_utf8(render_loop(status, layout, Format::Svg, theme).unwrap()).unwrap()
    }

    fn png(status: &LoopStatus, layout: &LoopLayout, theme: Theme) -> image::RgbImage {
        let bytes = render_loop(status, layout, Format::Png, theme).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a png signature");
        image::load_from_memory(&bytes).unwrap().to_rgb8()
    }

    fn assert_close(actual: image::Rgb<u8>, expected: RGBColor, what: &str) {
        let e = [expected.0, expected.1, expected.2];
        let near = actual.0.iter().zip(e).all(|(a, b)| a.abs_diff(b) <= 6);
        assert!(near, "{what}: pixel {:?}, expected {e:?}", actual.0);
    }

    #[test]
    fn the_svg_names_every_stage_and_gate_and_the_model() {
        let (status, layout) = demo_loop();
        let written = texts(&svg(&status, &layout, Theme::Light));
        for stage in Stage::ALL {
            assert!(
                written.iter().any(|t| t == stage.title()),
                "{stage} is missing"
            );
        }
        assert_eq!(status.gates.len(), layout.gates.len());
        for gate in &status.gates {
            assert!(
                written.contains(&gate.title),
                "gate {} is missing",
                gate.title
            );
        }
        assert!(
            written.iter().any(|t| t == "churn"),
            "the model's name is missing"
        );
        assert!(
            written.iter().any(|t| t.starts_with("Gatehouse · ")),
            "no title line"
        );
        for state in LEGEND {
            assert!(
                written.iter().any(|t| t == state.id()),
                "legend lacks {state:?}"
            );
        }
        // Details from the registry are written whole, or shortened with an ellipsis to fit.
        let details: Vec<&str> = status
            .stages
            .iter()
            .map(|s| s.detail.as_str())
            .filter(|d| !d.is_empty())
            .collect();
        assert!(details.len() >= 2, "the demo registry gives details");
        for detail in details {
            let shown = written.iter().any(|t| {
                t == detail
                    || t.strip_suffix('…')
                        .is_some_and(|head| head.len() >= 8 && detail.starts_with(head))
            });
            assert!(shown, "no detail {detail}");
        }
    }

    #[test]
    fn each_gate_octagon_is_drawn_in_its_state_colour_where_the_layout_puts_it() {
        let (status, layout) = demo_loop();
        for theme in [Theme::Light, Theme::Dark] {
            let drawn = polygons(&svg(&status, &layout, theme));
            for node in &layout.gates {
                let state = status
                    .gates
                    .iter()
                    .find(|g| g.id == node.gate)
                    .unwrap()
                    .state;
                let here: Vec<&String> = drawn
                    .iter()
                    .filter(|(_, pts)| {
                        pts.len() == 8
                            && pts
                                .iter()
                                .zip(&node.octagon)
                                .all(|((x, y), c)| (x - c.x).abs() <= 1.0 && (y - c.y).abs() <= 1.0)
                    })
                    .map(|(fill, _)| fill)
                    .collect();
                assert_eq!(
                    here,
                    [&hex(gate_colour(state, theme))],
                    "gate {}",
                    node.gate
                );
            }
        }
        let blocked = node_of(&layout, gate_in(&status, GateState::Blocked));
        let drawn = polygons(&svg(&status, &layout, Theme::Light));
        let red: Vec<_> = drawn.iter().filter(|(fill, _)| fill == "#D92D20").collect();
        assert!(
            red.iter().any(|(_, pts)| {
                let (x, y) = pts[0];
                (x - blocked.octagon[0].x).abs() <= 1.0 && (y - blocked.octagon[0].y).abs() <= 1.0
            }),
            "no blocked red octagon at {:?}",
            blocked.octagon[0]
        );
    }

    #[test]
    fn the_png_is_twice_the_size_with_gates_coloured_by_state() {
        let (status, layout) = demo_loop();
        for theme in [Theme::Light, Theme::Dark] {
            let img = png(&status, &layout, theme);
            assert_eq!(img.dimensions(), (2240, 1360));
            for state in [GateState::Blocked, GateState::Passed, GateState::Pending] {
                let node = node_of(&layout, gate_in(&status, state));
                let (x, y) = (node.center.x * 2.0, node.center.y * 2.0);
                let pixel = *img.get_pixel(x.round() as u32, y.round() as u32);
                assert_close(pixel, gate_colour(state, theme), &format!("{state:?} gate"));
            }
            assert_close(
                *img.get_pixel(4, 4),
                theme.palette().background,
                "background",
            );
        }
        assert_eq!(
            gate_colour(GateState::Blocked, Theme::Light),
            RGBColor(0xD9, 0x2D, 0x20)
        );
    }

    #[test]
    fn a_held_stage_is_bordered_in_red() {
        let (status, layout) = demo_loop();
        let held = status
            .stages
            .iter()
            .find(|s| s.state == StageState::Held)
            .unwrap();
        let placed = layout.stages.iter().find(|b| b.stage == held.id).unwrap();
        let img = png(&status, &layout, Theme::Light);
        // The middle of the box's top edge, on the 4-pixel-wide border.
        let x = (placed.center.x * 2.0).round() as u32;
        let y = ((placed.center.y - placed.height / 2.0) * 2.0).round() as u32;
        assert_close(
            *img.get_pixel(x, y),
            stage_colour(StageState::Held, Theme::Light),
            "border",
        );
    }

    /// Writes the demo's exports to `GATEHOUSE_CHARTS_OUT` for a person to look at.
    #[test]
    fn exports_for_review() {
        let Ok(dir) = std::env::var("GATEHOUSE_CHARTS_OUT") else {
            return;
        };
        let (status, layout) = demo_loop();
        let policy = Policy::parse(demo::POLICY, "gatehouse.toml").unwrap();
        for (theme, name) in [(Theme::Light, "light"), (Theme::Dark, "dark")] {
            for (format, ext) in [(Format::Svg, "svg"), (Format::Png, "png")] {
                let bytes = render_loop(&status, &layout, format, theme).unwrap();
                std::fs::write(format!("{dir}/loop-{name}.{ext}"), bytes).unwrap();
                for (states, kind) in [(States::Live, "live"), (States::Blank, "blank")] {
                    let export = LoopExport::new(&policy, &status, states);
                    let bytes = render_loop_export(&export, &status, &layout, format, theme);
                    let path = format!("{dir}/loop-export-{kind}-{name}.{ext}");
                    std::fs::write(path, bytes.unwrap()).unwrap();
                }
            }
        }
    }

    /// A team of its own, with an owner for every gate, a gate of its own and a blocked gate.
    const TEAM: &str = r#"
[workspace]
name = "Fraud team"
model = "fraud"

[owners.ingest]
name = "Ingest crew"

[owners.modellers]
name = "Fraud modellers"

[owners.board]
name = "Release board"

[owners.sre]
name = "Serving on-call"

[owners.watch]
name = "Fraud watch"

[owners.ethics]
name = "Fairness panel"

[ownership.models]
fraud = "modellers"

[[gates]]
id = "data-quality"
owner = "ingest"

[[gates.checks]]
id = "schema"
signal = "data.schema_violations"
max = 0

[[gates]]
id = "model-validation"
owner = "modellers"

[[gates]]
id = "promotion"
owner = "board"

[[gates]]
id = "rollout"
owner = "sre"

[[gates]]
id = "retrain-trigger"
owner = "watch"

[[gates]]
id = "fairness"
title = "Fairness"
from = "validate"
to = "register"
owner = "ethics"

[[gates.checks]]
id = "parity"
signal = "model.parity_gap"
max = 0.05
"#;

    const TEAM_AT: Timestamp = Timestamp(1_795_752_359_999);

    /// The team's loop at [`TEAM_AT`]: the schema check fails, so data quality blocks; fairness
    /// passes.
    fn team_loop() -> (Policy, LoopStatus, LoopLayout) {
        let policy = Policy::parse(TEAM, "gatehouse.toml").unwrap();
        let reading = |signal: &str, value: f64| {
            let r = gatehouse_core::reading::Reading::new(
                policy.model.clone(),
                gatehouse_core::reading::SignalName(signal.into()),
                value,
                TEAM_AT.hours_before(1.0),
                "test".into(),
                None,
            )
            .unwrap();
            (r.signal.clone(), r)
        };
        let memory = Memory {
            latest: [
                reading("data.schema_violations", 4.0),
                reading("model.parity_gap", 0.01),
            ]
            .into_iter()
            .collect(),
            models: Vec::new(),
        };
        let status = block_on(loop_status(&policy, &memory, TEAM_AT)).unwrap();
        let layout = layout_for(&policy);
        (policy, status, layout)
    }

    fn export_svg(states: States, theme: Theme) -> (LoopStatus, LoopLayout, String) {
        let (policy, status, layout) = team_loop();
        let export = LoopExport::new(&policy, &status, states);
        let bytes = render_loop_export(&export, &status, &layout, Format::Svg, theme).unwrap();
        (status, layout, String::from_utf8(bytes).unwrap())
    }

    /// The fill of the octagon drawn at `node`'s place.
    fn fill_at(svg: &str, node: &gatehouse_core::layout::GateNode) -> String {
        let here: Vec<String> = polygons(svg)
            .into_iter()
            .filter(|(_, pts)| {
                pts.len() == 8
                    && pts
                        .iter()
                        .zip(&node.octagon)
                        .all(|((x, y), c)| (x - c.x).abs() <= 1.0 && (y - c.y).abs() <= 1.0)
            })
            .map(|(fill, _)| fill)
            .collect();
        assert_eq!(here.len(), 1, "one octagon at gate {}", node.gate);
        here.into_iter().next().unwrap()
    }

    #[test]
    fn the_export_names_every_stage_gate_and_owner_with_the_workspace_and_date() {
        let (status, _, svg) = export_svg(States::Live, Theme::Light);
        let written = texts(&svg);
        let has = |t: &str| written.iter().any(|w| w == t);
        for stage in Stage::ALL {
            assert!(has(stage.title()), "stage {stage} is missing");
        }
        assert_eq!(status.gates.len(), 6);
        for gate in &status.gates {
            assert!(has(&gate.title), "gate {} is missing", gate.title);
            assert!(has(&gate.owner.name), "owner of {} is missing", gate.title);
            assert!(gate.owner.assigned, "{} has its owner", gate.title);
        }
        // Stages: the owner of the gate each passes next, else the model's owner.
        for owner in [
            "Ingest crew",
            "Fraud modellers",
            "Release board",
            "Serving on-call",
        ] {
            assert!(has(owner), "{owner} is missing");
        }
        assert!(has("Fraud team · the loop of model fraud"), "{written:?}");
        assert!(
            has("States as of 2026-11-27 04:05 UTC · owners from gatehouse.toml"),
            "{written:?}"
        );
        // Under each gate: its title, its owner, its state.
        for (title, owner, state) in [
            ("Data quality", "Ingest crew", "blocked"),
            ("Fairness", "Fairness panel", "passed"),
            ("Promotion", "Release board", "unknown"),
        ] {
            let at = written.iter().position(|t| t == title).unwrap();
            assert_eq!(written[at + 1..at + 3], [owner, state], "under {title}");
        }
    }

    #[test]
    fn a_blocked_gate_is_a_red_stop_node_with_its_state_in_the_export() {
        for theme in [Theme::Light, Theme::Dark] {
            let (status, layout, svg) = export_svg(States::Live, theme);
            let blocked = gate_in(&status, GateState::Blocked);
            assert_eq!(blocked.id.as_str(), "data-quality");
            let red = hex(gate_colour(GateState::Blocked, theme));
            assert_eq!(fill_at(&svg, node_of(&layout, blocked)), red);
            let fairness = status.gates.iter().find(|g| g.title == "Fairness").unwrap();
            assert_eq!(fairness.state, GateState::Passed);
            assert_eq!(
                fill_at(&svg, node_of(&layout, fairness)),
                hex(gate_colour(GateState::Passed, theme))
            );
            // The state is written in its colour, and signed inside the node.
            assert!(svg.contains(&format!("fill=\"{red}\"")));
            assert!(texts(&svg).iter().any(|t| t == "✕"));
        }
    }

    #[test]
    fn a_blank_export_draws_every_gate_neutral_and_no_state() {
        for theme in [Theme::Light, Theme::Dark] {
            let (status, layout, svg) = export_svg(States::Blank, theme);
            let neutral = hex(theme.palette().gate_neutral);
            for node in &layout.gates {
                assert_eq!(fill_at(&svg, node), neutral, "gate {}", node.gate);
            }
            let written = texts(&svg);
            for state in LEGEND {
                assert!(
                    !written.iter().any(|t| t == state.id()),
                    "{state:?} written"
                );
                let colour = hex(gate_colour(state, theme));
                assert!(!svg.contains(&colour), "{state:?}'s colour {colour} drawn");
            }
            for gate in &status.gates {
                assert!(written.contains(&gate.owner.name), "{}", gate.owner.name);
            }
            assert!(written
                .iter()
                .any(|t| t == "Gates and owners from gatehouse.toml · 2026-11-27"));
        }
    }

    #[test]
    fn the_export_png_decodes_at_twice_the_layout_size() {
        let (policy, status, layout) = team_loop();
        for states in [States::Live, States::Blank] {
            let export = LoopExport::new(&policy, &status, states);
            for theme in [Theme::Light, Theme::Dark] {
                let bytes =
                    render_loop_export(&export, &status, &layout, Format::Png, theme).unwrap();
                assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a png signature");
                let img = image::load_from_memory(&bytes).unwrap().to_rgb8();
                assert_eq!(img.dimensions(), (2240, 1360));
                let blocked = node_of(&layout, gate_in(&status, GateState::Blocked));
                // Off the glyph in the middle: a point inside the octagon, left of centre.
                let (x, y) = (blocked.center.x - 12.0, blocked.center.y + 6.0);
                let expected = match states {
                    States::Live => gate_colour(GateState::Blocked, theme),
                    States::Blank => theme.palette().gate_neutral,
                };
                let pixel = *img.get_pixel((x * 2.0).round() as u32, (y * 2.0).round() as u32);
                assert_close(pixel, expected, &format!("{states:?} blocked gate"));
            }
        }
    }

    #[test]
    fn the_themes_differ_in_background() {
        let (status, layout) = demo_loop();
        let light = svg(&status, &layout, Theme::Light);
        let dark = svg(&status, &layout, Theme::Dark);
        assert!(light.contains(&hex(Theme::Light.palette().background)));
        assert!(dark.contains(&hex(Theme::Dark.palette().background)));
        assert_ne!(
            Theme::Light.palette().background,
            Theme::Dark.palette().background
        );
        assert!(light.contains(r#"width="1120""#) && light.contains(r#"height="680""#));
    }

    #[test]
    fn a_gate_the_status_does_not_know_is_drawn_unknown() {
        let (mut status, layout) = demo_loop();
        let dropped = status.gates.remove(0);
        let drawn = polygons(&svg(&status, &layout, Theme::Light));
        let node = node_of(&layout, &dropped);
        let grey = hex(gate_colour(GateState::Unknown, Theme::Light));
        assert!(drawn.iter().any(|(fill, pts)| {
            *fill == grey
                && (pts[0].0 - node.octagon[0].x).abs() <= 1.0
                && (pts[0].1 - node.octagon[0].y).abs() <= 1.0
        }));
        assert!(texts(&svg(&status, &layout, Theme::Light)).contains(&dropped.id.to_string()));
    }

    #[test]
    fn long_titles_are_shortened_to_fit() {
        let (mut status, layout) = demo_loop();
        status.workspace = "a workspace whose name goes on and on ".repeat(6);
        let written = texts(&svg(&status, &layout, Theme::Light));
        let title = written
            .iter()
            .find(|t| t.starts_with("Gatehouse · "))
            .unwrap();
        assert!(title.ends_with('…'), "{title}");
        assert!(title.chars().count() < 120, "{title}");
    }
}
