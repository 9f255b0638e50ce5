//! The rollout chart: one metric's measurements in the analysis against its success and failure
//! conditions, as SVG for the Rollout view.
//!
//! The x axis holds the analysis's `count` checks, so the checks still to come show as empty
//! slots; each measurement is a marker coloured by what it said (successful green, inconclusive
//! amber, failed red, no value grey on the axis). Every number a condition compares with is a
//! dashed line in its condition's colour, and the side where a simple condition holds is shaded.

use gatehouse_core::gate::{fmt_num, GateState};
use gatehouse_core::rollout::{Condition, MetricAnalysis, Op, Outcome};
use plotters::backend::DrawingBackend;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::element::Circle;
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{Color, RGBColor};

use crate::drift::{
    clock, dashed, draw_error, empty_note, heading, legend, line, mix, nice_step, rect, style, svg,
    text, ticks, value_axis, Colours, Frame, MARKER_R,
};
use crate::error::ChartError;
use crate::theme::{gate_colour, Theme};

/// The size of a rollout chart, in pixels.
pub const ROLLOUT_CHART_SIZE: (u32, u32) = (640, 260);

/// `metric`'s measurements against its conditions. Times are UTC.
pub fn metric_chart(metric: &MetricAnalysis, theme: Theme) -> Result<String, ChartError> {
    svg(ROLLOUT_CHART_SIZE, |area| draw_metric(area, metric, theme))
}

/// The colour of a measurement's outcome, the gate colours of the state it pushes towards.
fn outcome_colour(outcome: Outcome, theme: Theme) -> RGBColor {
    let state = match outcome {
        Outcome::Successful => GateState::Passed,
        Outcome::Failed => GateState::Blocked,
        Outcome::Inconclusive => GateState::Pending,
        Outcome::Error => GateState::Unknown,
    };
    gate_colour(state, theme)
}

/// Every `(operator, number)` a condition compares with.
fn comparisons(condition: &Condition, out: &mut Vec<(Op, f64)>) {
    match condition {
        Condition::Compare(op, n) => out.push((*op, *n)),
        Condition::And(a, b) | Condition::Or(a, b) => {
            comparisons(a, out);
            comparisons(b, out);
        }
    }
}

fn op_text(op: Op) -> &'static str {
    match op {
        Op::Lt => "<",
        Op::Le => "≤",
        Op::Gt => ">",
        Op::Ge => "≥",
        Op::Eq => "=",
        Op::Ne => "≠",
    }
}

fn draw_metric<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    metric: &MetricAnalysis,
    theme: Theme,
) -> Result<(), ChartError> {
    let c = Colours::of(theme);
    area.fill(&c.palette.background).map_err(draw_error)?;
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let spec = &metric.spec;

    let title = format!("{} · {}", spec.name, metric.verdict.id());
    let sub = format!(
        "{} of {} checks in · {} failed (limit {}) · {} inconclusive (limit {})",
        metric.tally.taken(),
        spec.count,
        metric.tally.failed,
        spec.failure_limit,
        metric.tally.inconclusive,
        spec.inconclusive_limit
    );
    heading(area, &c, &title, &sub, w - 32)?;
    legend(
        area,
        &c,
        w - 16,
        &[
            (outcome_colour(Outcome::Successful, theme), "pass"),
            (outcome_colour(Outcome::Inconclusive, theme), "inconclusive"),
            (outcome_colour(Outcome::Failed, theme), "fail"),
            (outcome_colour(Outcome::Error, theme), "no value"),
        ],
    )?;

    let mut success = Vec::new();
    let mut failure = Vec::new();
    if let Some(s) = &spec.success {
        comparisons(s, &mut success);
    }
    if let Some(f) = &spec.failure {
        comparisons(f, &mut failure);
    }
    let values: Vec<f64> = metric
        .measurements
        .iter()
        .filter_map(|m| m.value)
        .filter(|v| v.is_finite())
        .collect();
    let numbers = values
        .iter()
        .copied()
        .chain(success.iter().chain(&failure).map(|(_, n)| *n))
        .filter(|v| v.is_finite());
    let (lo, hi) = numbers.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        // From zero for positive metrics (rates, latencies), so ratios look like ratios.
        let lo = if lo >= 0.0 { 0.0 } else { lo };
        let span = (hi - lo).max(hi.abs() * 0.1).max(1e-9);
        (lo, hi + span * 0.08)
    } else {
        (0.0, 1.0)
    };
    let step = nice_step(hi - lo, 4.0);
    let y = ((lo / step).floor() * step, (hi / step).ceil() * step);

    let slots = spec.count.max(1).max(metric.measurements.len() as u32) as f64;
    let frame = Frame {
        left: 58,
        top: 54,
        width: w - 58 - 24,
        height: h - 54 - 40,
        x: (0.5, slots + 0.5),
        y,
    };

    // Where a simple condition holds, a faint band in its colour.
    for (pairs, outcome) in [(&success, Outcome::Successful), (&failure, Outcome::Failed)] {
        if let [(op, n)] = pairs.as_slice() {
            let band = mix(c.palette.background, outcome_colour(outcome, theme), 0.10);
            let edge = frame.px_y(*n);
            match op {
                Op::Gt | Op::Ge => {
                    rect(area, (frame.left, frame.top), (frame.right(), edge), band)?
                }
                Op::Lt | Op::Le => rect(
                    area,
                    (frame.left, edge),
                    (frame.right(), frame.bottom()),
                    band,
                )?,
                Op::Eq | Op::Ne => {}
            }
        }
    }

    let y_ticks = ticks(y.0, y.1, step)
        .into_iter()
        .map(|v| (v, fmt_num((v * 1e6).round() / 1e6)));
    value_axis(area, &c, &frame, y_ticks)?;

    // The conditions' numbers, labelled at the right end of their lines: the higher of two
    // neighbouring lines above it, the lower below, so close thresholds stay readable.
    let mut lines: Vec<(f64, Op, Outcome, &str)> = success
        .iter()
        .map(|(op, n)| (*n, *op, Outcome::Successful, "pass"))
        .chain(
            failure
                .iter()
                .map(|(op, n)| (*n, *op, Outcome::Failed, "fail")),
        )
        .filter(|(n, ..)| n.is_finite())
        .collect();
    lines.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (i, (n, op, outcome, word)) in lines.iter().enumerate() {
        let colour = outcome_colour(*outcome, theme);
        let py = frame.px_y(*n);
        dashed(area, frame.left, frame.right(), py, colour)?;
        let below = lines.len() > 1 && i == 0;
        let (v, dy) = if below {
            (VPos::Top, 3)
        } else {
            (VPos::Bottom, -3)
        };
        let s = style(11.0, colour, true, HPos::Right, v);
        let words = format!("{word} {} {}", op_text(*op), fmt_num(*n));
        text(area, &words, (frame.right() - 2, py + dy), &s)?;
    }

    // One slot per check: its time under it, or its number while it is still to come.
    let x_label = style(11.0, c.palette.muted, false, HPos::Center, VPos::Top);
    for k in 0..slots as usize {
        let px = frame.px_x(k as f64 + 1.0);
        line(
            area,
            vec![(px, frame.bottom()), (px, frame.bottom() + 4)],
            c.palette.edge,
            1,
        )?;
        let words = match metric.measurements.get(k) {
            Some(m) => clock_seconds(m.at),
            None => format!("check {}", k + 1),
        };
        text(area, &words, (px, frame.bottom() + 8), &x_label)?;
    }

    if metric.measurements.is_empty() {
        return empty_note(area, &c, &frame, "no measurements yet");
    }
    let points: Vec<(i32, i32)> = metric
        .measurements
        .iter()
        .enumerate()
        .filter_map(|(k, m)| {
            m.value
                .filter(|v| v.is_finite())
                .map(|v| frame.px(k as f64 + 1.0, v))
        })
        .collect();
    if points.len() > 1 {
        line(area, points, c.palette.edge, 2)?;
    }
    for (k, m) in metric.measurements.iter().enumerate() {
        let colour = outcome_colour(m.outcome, theme);
        match m.value.filter(|v| v.is_finite()) {
            Some(v) => {
                let at = frame.px(k as f64 + 1.0, v);
                area.draw(&Circle::new(at, MARKER_R + 1, colour.filled()))
                    .map_err(draw_error)?;
            }
            None => {
                let at = (frame.px_x(k as f64 + 1.0), frame.bottom());
                area.draw(&Circle::new(at, MARKER_R + 1, colour.stroke_width(2)))
                    .map_err(draw_error)?;
            }
        }
    }
    Ok(())
}

/// `HH:MM:SS` of a timestamp in UTC: checks can be seconds apart.
fn clock_seconds(at: gatehouse_core::time::Timestamp) -> String {
    let seconds = at.0.div_euclid(1000).rem_euclid(60);
    format!("{}:{seconds:02}", clock(at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_core::reading::SignalName;
    use gatehouse_core::rollout::{analyze_metric, MetricSource, MetricSpec};
    use gatehouse_core::time::Timestamp;

    fn metric(values: &[Option<f64>]) -> MetricAnalysis {
        let spec = MetricSpec {
            name: "error rate".into(),
            source: MetricSource::Signal(SignalName::from("rollout.error_rate_ratio")),
            success: Some(Condition::parse("value <= 1.5").unwrap()),
            failure: Some(Condition::parse("value > 2").unwrap()),
            interval_seconds: 60,
            count: 5,
            failure_limit: 2,
            inconclusive_limit: 2,
            ratio_to_stable: true,
        };
        let series: Vec<(Timestamp, Option<f64>)> = values
            .iter()
            .enumerate()
            .map(|(i, v)| (Timestamp(1_800_000_000_000 + 10_000 * i as i64), *v))
            .collect();
        analyze_metric(&spec, &series, "v3")
    }

    /// How many markers (filled circles) of `colour` the chart holds.
    fn markers(svg: &str, colour: RGBColor) -> usize {
        let fill = format!("fill=\"#{:02X}{:02X}{:02X}\"", colour.0, colour.1, colour.2);
        svg.lines()
            .filter(|l| l.starts_with("<circle") && l.contains(&fill))
            .count()
    }

    #[test]
    fn each_measurement_wears_the_colour_of_its_outcome() {
        let m = metric(&[Some(1.05), Some(1.8), Some(2.3), Some(2.45), Some(2.7)]);
        let svg = metric_chart(&m, Theme::Light).unwrap();
        let red = outcome_colour(Outcome::Failed, Theme::Light);
        let green = outcome_colour(Outcome::Successful, Theme::Light);
        let amber = outcome_colour(Outcome::Inconclusive, Theme::Light);
        assert_eq!(markers(&svg, red), 3, "{svg}");
        assert_eq!(markers(&svg, green), 1);
        assert_eq!(markers(&svg, amber), 1);
        assert!(svg.contains("error rate · failed"));
        assert!(
            svg.contains("fail &gt; 2") || svg.contains("fail > 2"),
            "{svg}"
        );
        assert!(svg.contains("pass ≤ 1.5"));
    }

    #[test]
    fn checks_still_to_come_are_empty_slots_and_no_input_breaks_the_chart() {
        let svg = metric_chart(&metric(&[Some(1.0), None]), Theme::Dark).unwrap();
        assert!(svg.contains("check 5"));
        assert!(!svg.contains("check 2"));
        let svg = metric_chart(&metric(&[]), Theme::Light).unwrap();
        assert!(svg.contains("no measurements yet"));
        let svg = metric_chart(
            &metric(&[Some(f64::INFINITY), Some(f64::NAN)]),
            Theme::Light,
        );
        assert!(svg.is_ok());
    }
}
