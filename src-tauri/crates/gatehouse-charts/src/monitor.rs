//! Monitor charts as SVG: one system signal (latency quantile, error rate, request rate, CPU,
//! memory, queue) over the view's time range, one line per version, and the share of drifting
//! features per serving window against the dataset-drift share.
//!
//! Lines break where the source had no finite value instead of bridging the gap; a chart with
//! nothing to draw says so in words. Inputs may be empty or hold any number; charts never panic.

use gatehouse_core::signals::{DriftSummary, MonitorView, SignalPoint, SystemSignal, Unit};
use gatehouse_core::time::Timestamp;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::ChartError;
use crate::font;
use crate::theme::{gate_colour, Theme};

/// The size of a monitor chart, in pixels.
pub const MONITOR_CHART_SIZE: (u32, u32) = (560, 240);

/// Line colours of versions, in version order: distinguishable in both themes and apart from the
/// red that means "blocked".
fn version_colour(index: usize, theme: Theme) -> RGBColor {
    const LIGHT: [RGBColor; 4] = [
        RGBColor(0x2D, 0x5B, 0xD7),
        RGBColor(0xB5, 0x47, 0x08),
        RGBColor(0x0E, 0x7C, 0x86),
        RGBColor(0x7F, 0x56, 0xD9),
    ];
    const DARK: [RGBColor; 4] = [
        RGBColor(0x7E, 0xA3, 0xFF),
        RGBColor(0xF7, 0x90, 0x09),
        RGBColor(0x2E, 0xD3, 0xB7),
        RGBColor(0xB6, 0x9C, 0xF7),
    ];
    match theme {
        Theme::Light => LIGHT[index % LIGHT.len()],
        Theme::Dark => DARK[index % DARK.len()],
    }
}

/// `signal` of every version of `view` over its range, one line per version, values in the
/// signal's unit (milliseconds for latency, percent for the error rate). Times are UTC.
pub fn signal_chart(
    view: &MonitorView,
    signal: SystemSignal,
    theme: Theme,
) -> Result<String, ChartError> {
    let unit = signal.unit();
    let lines: Vec<(String, Vec<SignalPoint>)> = view
        .of(signal)
        .into_iter()
        .map(|s| (format!("version {}", s.version), s.points.clone()))
        .collect();
    let colours: Vec<RGBColor> = view
        .of(signal)
        .iter()
        .map(|s| {
            let index = view
                .versions
                .iter()
                .position(|v| *v == s.version)
                .unwrap_or(0);
            version_colour(index, theme)
        })
        .collect();
    let chart = Lines {
        title: signal.title(),
        unit,
        range: (view.from, view.to),
        lines,
        colours,
        limit: None,
    };
    draw(&chart, theme)
}

/// The share of drifting features per serving window, with the dataset-drift share dashed.
pub fn drift_share_chart(
    summary: &DriftSummary,
    (from, to): (Timestamp, Timestamp),
    theme: Theme,
) -> Result<String, ChartError> {
    let chart = Lines {
        title: "Features drifting",
        unit: Unit::Ratio,
        range: (from, to),
        lines: vec![("share drifting".into(), summary.history.clone())],
        colours: vec![version_colour(0, theme)],
        limit: Some(summary.drift_share),
    };
    draw(&chart, theme)
}

struct Lines {
    title: &'static str,
    unit: Unit,
    range: (Timestamp, Timestamp),
    lines: Vec<(String, Vec<SignalPoint>)>,
    colours: Vec<RGBColor>,
    /// A threshold drawn dashed in the blocked red.
    limit: Option<f64>,
}

/// A value in the unit people read: milliseconds, percent, MiB; the rest as it is.
fn shown(unit: Unit, v: f64) -> f64 {
    match unit {
        Unit::Seconds => v * 1000.0,
        Unit::Ratio => v * 100.0,
        Unit::Bytes => v / 1_048_576.0,
        Unit::PerSecond | Unit::Cores | Unit::Count => v,
    }
}

fn axis_name(unit: Unit) -> &'static str {
    match unit {
        Unit::Seconds => "ms",
        Unit::Ratio => "%",
        Unit::PerSecond => "per second",
        Unit::Cores => "cores",
        Unit::Bytes => "MiB",
        Unit::Count => "count",
    }
}

/// `HH:MM` of a timestamp in UTC.
fn clock(at: i64) -> String {
    let minutes = at.div_euclid(60_000).rem_euclid(24 * 60);
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn draw_error<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> ChartError {
    ChartError::Draw(e.to_string())
}

fn text_style(size: f64, colour: RGBColor) -> TextStyle<'static> {
    TextStyle {
        font: FontDesc::new(
            FontFamily::Name(font::FAMILY),
            size * 1.24,
            FontStyle::Normal,
        ),
        color: colour.to_backend_color(),
        pos: Pos::new(HPos::Left, VPos::Top),
    }
}

fn draw(chart: &Lines, theme: Theme) -> Result<String, ChartError> {
    font::ensure_registered()?;
    let palette = theme.palette();
    let mut out = String::new();
    {
        let area = SVGBackend::with_string(&mut out, MONITOR_CHART_SIZE).into_drawing_area();
        area.fill(&palette.background).map_err(draw_error)?;
        // Runs of finite points: a gap in the data is a gap in the line.
        let runs: Vec<(usize, Vec<(i64, f64)>)> = chart
            .lines
            .iter()
            .enumerate()
            .flat_map(|(i, (_, points))| {
                let mut runs: Vec<Vec<(i64, f64)>> = vec![Vec::new()];
                for p in points {
                    match p
                        .value
                        .map(|v| shown(chart.unit, v))
                        .filter(|v| v.is_finite())
                    {
                        Some(v) => {
                            if let Some(run) = runs.last_mut() {
                                run.push((p.at.0, v));
                            }
                        }
                        None => runs.push(Vec::new()),
                    }
                }
                runs.into_iter()
                    .filter(|r| !r.is_empty())
                    .map(move |r| (i, r))
            })
            .collect();
        let top = runs
            .iter()
            .flat_map(|(_, r)| r.iter().map(|p| p.1))
            .chain(chart.limit.map(|l| shown(chart.unit, l)))
            .fold(0.0f64, f64::max);
        let bottom = runs
            .iter()
            .flat_map(|(_, r)| r.iter().map(|p| p.1))
            .fold(0.0f64, f64::min);
        // Headroom above the highest line keeps the legend in the upper left off the lines.
        let top = if top > bottom {
            top * 1.45
        } else {
            bottom + 1.0
        };
        let (x0, x1) = (chart.range.0 .0, chart.range.1 .0.max(chart.range.0 .0 + 1));

        let title = text_style(14.0, palette.text);
        let small = text_style(11.0, palette.muted);
        let mut builder = ChartBuilder::on(&area);
        builder
            .margin(12)
            .caption(
                format!("{} · {} · UTC", chart.title, axis_name(chart.unit)),
                title,
            )
            .x_label_area_size(26)
            .y_label_area_size(52);
        let mut ctx = builder
            .build_cartesian_2d(x0..x1, bottom..top)
            .map_err(draw_error)?;
        ctx.configure_mesh()
            .x_labels(6)
            .y_labels(5)
            .x_label_formatter(&|t| clock(*t))
            .y_label_formatter(&|v| gatehouse_core::gate::fmt_num((v * 100.0).round() / 100.0))
            .label_style(small.clone())
            .axis_style(palette.edge)
            .light_line_style(palette.background)
            .bold_line_style(palette.edge.mix(0.25))
            .draw()
            .map_err(draw_error)?;
        if let Some(limit) = chart.limit {
            let y = shown(chart.unit, limit);
            let red = gate_colour(gatehouse_core::gate::GateState::Blocked, theme);
            let step = ((x1 - x0) / 60).max(1);
            let dashes = (0..60)
                .filter(|k| k % 2 == 0)
                .map(|k| vec![(x0 + k * step, y), ((x0 + (k + 1) * step).min(x1), y)]);
            for dash in dashes {
                ctx.draw_series(std::iter::once(PathElement::new(dash, red.stroke_width(2))))
                    .map_err(draw_error)?;
            }
        }
        let mut labelled = vec![false; chart.lines.len()];
        for (i, run) in &runs {
            let colour = chart.colours.get(*i).copied().unwrap_or(palette.text);
            let single = run.len() == 1;
            let drawn = ctx
                .draw_series(LineSeries::new(run.clone(), colour.stroke_width(2)))
                .map_err(draw_error)?;
            if !labelled[*i] {
                labelled[*i] = true;
                let name = chart.lines[*i].0.clone();
                drawn.label(name).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 14, y)], colour.stroke_width(2))
                });
            }
            if single {
                ctx.draw_series(run.iter().map(|p| Circle::new(*p, 3, colour.filled())))
                    .map_err(draw_error)?;
            }
        }
        if runs.is_empty() {
            let note = TextStyle {
                pos: Pos::new(HPos::Center, VPos::Center),
                ..small.clone()
            };
            let (w, h) = area.dim_in_pixel();
            area.draw_text("no data in this range", &note, (w as i32 / 2, h as i32 / 2))
                .map_err(draw_error)?;
        } else {
            ctx.configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .label_font(small)
                .background_style(palette.surface.mix(0.85))
                .border_style(palette.edge)
                .draw()
                .map_err(draw_error)?;
        }
        area.present().map_err(draw_error)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_core::reading::ModelName;
    use gatehouse_core::signals::{SignalSeries, SignalSource};

    fn view(points: Vec<SignalPoint>) -> MonitorView {
        MonitorView {
            model: ModelName::from("churn"),
            source: SignalSource::Prometheus,
            from: Timestamp(0),
            to: Timestamp(3_600_000),
            versions: vec!["4".into(), "5".into()],
            series: vec![
                SignalSeries {
                    signal: SystemSignal::LatencyP95,
                    version: "4".into(),
                    points: points.clone(),
                },
                SignalSeries {
                    signal: SystemSignal::LatencyP95,
                    version: "5".into(),
                    points,
                },
            ],
            missing: Vec::new(),
            drift: None,
            quality: Vec::new(),
        }
    }

    #[test]
    fn a_signal_draws_one_labelled_line_per_version() {
        let points = (0..10)
            .map(|i| SignalPoint {
                at: Timestamp(i * 360_000),
                value: Some(0.1 + 0.01 * i as f64),
            })
            .collect();
        let svg = signal_chart(&view(points), SystemSignal::LatencyP95, Theme::Light).unwrap();
        assert!(svg.contains("Latency p95 · ms · UTC"), "{svg}");
        assert!(svg.contains("version 4") && svg.contains("version 5"));
        // Each version's colour strokes its line and its legend mark.
        for colour in ["#2D5BD7", "#B54708"] {
            let strokes = svg.matches(&format!("stroke=\"{colour}\"")).count();
            assert_eq!(strokes, 2, "{colour} in {svg}");
        }
    }

    #[test]
    fn nothing_to_draw_says_so_and_odd_numbers_never_panic() {
        let svg = signal_chart(&view(Vec::new()), SystemSignal::LatencyP95, Theme::Dark).unwrap();
        assert!(svg.contains("no data in this range"));
        let odd = vec![
            SignalPoint {
                at: Timestamp(0),
                value: Some(f64::NAN),
            },
            SignalPoint {
                at: Timestamp(1),
                value: Some(f64::INFINITY),
            },
            SignalPoint {
                at: Timestamp(2),
                value: None,
            },
            SignalPoint {
                at: Timestamp(i64::MAX),
                value: Some(1e308),
            },
            SignalPoint {
                at: Timestamp(3),
                value: Some(-5.0),
            },
        ];
        for signal in SystemSignal::ALL {
            signal_chart(&view(odd.clone()), signal, Theme::Light).unwrap();
        }
    }
}
