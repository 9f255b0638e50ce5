//! The geometry of the loop diagram, computed once here and drawn twice: by the panel (as SVG DOM)
//! and by `gatehouse-charts` (plotters, for exports). Both draw exactly these coordinates, so the
//! export looks like the panel.
//!
//! The data stage stands to the left as the loop's entry; the other six stages sit clockwise on an
//! ellipse, from train on the left over the top to retrain at the bottom, which closes the loop back
//! to train. Gates are stop nodes placed along the edge they guard.

use serde::{Deserialize, Serialize};

use crate::gate::GateId;
use crate::stage::Stage;

/// A point in diagram units (the panel scales the whole canvas).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Point {
    /// Left to right.
    pub x: f64,
    /// Top to bottom.
    pub y: f64,
}

/// Where a stage's box stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct StageBox {
    /// The stage drawn.
    pub stage: Stage,
    /// The box's centre.
    pub center: Point,
    /// Its width.
    pub width: f64,
    /// Its height.
    pub height: f64,
}

/// An arrow from one stage box to the next, as a polyline ending at the arrow's tip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct EdgePath {
    /// The stage it leaves.
    pub from: Stage,
    /// The stage it enters.
    pub to: Stage,
    /// The polyline, from the edge of `from`'s box to the edge of `to`'s box.
    pub points: Vec<Point>,
    /// The arrowhead: a triangle whose first point is the tip.
    pub head: [Point; 3],
}

/// Where the label of a gate is anchored relative to its point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    /// The label starts at the point.
    Start,
    /// The label is centred on the point.
    Middle,
    /// The label ends at the point.
    End,
}

/// A gate's stop node and its label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct GateNode {
    /// The gate drawn.
    pub gate: GateId,
    /// The node's centre.
    pub center: Point,
    /// The radius of the octagon's circumscribed circle.
    pub radius: f64,
    /// The octagon's corners, clockwise.
    pub octagon: [Point; 8],
    /// Where its label goes.
    pub label: Point,
    /// How the label is anchored there.
    pub label_anchor: Anchor,
}

/// The whole diagram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct LoopLayout {
    /// Canvas width.
    pub width: f64,
    /// Canvas height.
    pub height: f64,
    /// The loop's centre, where the panel writes the model's name.
    pub center: Point,
    /// The seven stage boxes in loop order.
    pub stages: Vec<StageBox>,
    /// The seven edges in loop order.
    pub edges: Vec<EdgePath>,
    /// One node per gate, in the order given.
    pub gates: Vec<GateNode>,
}

const WIDTH: f64 = 1120.0;
const HEIGHT: f64 = 680.0;
const CX: f64 = 660.0;
const CY: f64 = 345.0;
const RX: f64 = 330.0;
const RY: f64 = 235.0;
const BOX_W: f64 = 164.0;
const BOX_H: f64 = 56.0;
const GATE_R: f64 = 19.0;
const DATA_X: f64 = 94.0;
const ARC_SAMPLES: usize = 48;
const HEAD_LEN: f64 = 13.0;
const HEAD_HALF_WIDTH: f64 = 6.5;

/// The angle (radians, y pointing down) of a stage on the ellipse; data is off the ellipse.
fn angle_of(stage: Stage) -> Option<f64> {
    let deg = match stage {
        Stage::Data => return None,
        Stage::Train => 180.0,
        Stage::Validate => 240.0,
        Stage::Register => 300.0,
        Stage::Deploy => 360.0,
        Stage::Monitor => 420.0,
        Stage::Retrain => 480.0,
    };
    Some(f64::to_radians(deg))
}

fn on_ellipse(theta: f64) -> Point {
    Point {
        x: CX + RX * theta.cos(),
        y: CY + RY * theta.sin(),
    }
}

fn stage_center(stage: Stage) -> Point {
    angle_of(stage)
        .map(on_ellipse)
        .unwrap_or(Point { x: DATA_X, y: CY })
}

fn inside_box(p: Point, b: &StageBox, margin: f64) -> bool {
    (p.x - b.center.x).abs() <= b.width / 2.0 + margin
        && (p.y - b.center.y).abs() <= b.height / 2.0 + margin
}

/// The eight corners of a regular octagon with flat top, as stop signs are drawn.
pub fn octagon(center: Point, radius: f64) -> [Point; 8] {
    let step = std::f64::consts::PI / 4.0;
    let start = -std::f64::consts::PI / 2.0 - step / 2.0;
    std::array::from_fn(|i| {
        let a = start + step * i as f64;
        Point {
            x: center.x + radius * a.cos(),
            y: center.y + radius * a.sin(),
        }
    })
}

/// The raw path of an edge between two stage centres: an arc of the ellipse, or a straight line
/// from data to train.
fn raw_path(from: Stage, to: Stage) -> Vec<Point> {
    match (angle_of(from), angle_of(to)) {
        (Some(a), Some(b)) => {
            // Clockwise means increasing angle; retrain (480°) back to train wraps to 540°.
            let b = if b <= a { b + std::f64::consts::TAU } else { b };
            (0..=ARC_SAMPLES)
                .map(|i| on_ellipse(a + (b - a) * i as f64 / ARC_SAMPLES as f64))
                .collect()
        }
        _ => {
            let (p, q) = (stage_center(from), stage_center(to));
            (0..=ARC_SAMPLES)
                .map(|i| {
                    let t = i as f64 / ARC_SAMPLES as f64;
                    Point {
                        x: p.x + (q.x - p.x) * t,
                        y: p.y + (q.y - p.y) * t,
                    }
                })
                .collect()
        }
    }
}

/// The point at fraction `t` of a polyline's length, and the direction there (unit vector).
fn along(points: &[Point], t: f64) -> (Point, Point) {
    let lengths: Vec<f64> = points
        .windows(2)
        .map(|w| (w[1].x - w[0].x).hypot(w[1].y - w[0].y))
        .collect();
    let total: f64 = lengths.iter().sum();
    let mut remaining = total * t.clamp(0.0, 1.0);
    for (i, len) in lengths.iter().enumerate() {
        if remaining <= *len || i == lengths.len() - 1 {
            let f = if *len > 0.0 {
                (remaining / len).min(1.0)
            } else {
                0.0
            };
            let (a, b) = (points[i], points[i + 1]);
            let dir = Point {
                x: (b.x - a.x) / len.max(f64::EPSILON),
                y: (b.y - a.y) / len.max(f64::EPSILON),
            };
            return (
                Point {
                    x: a.x + (b.x - a.x) * f,
                    y: a.y + (b.y - a.y) * f,
                },
                dir,
            );
        }
        remaining -= len;
    }
    (points[0], Point { x: 1.0, y: 0.0 })
}

/// Lays out the loop with the given gates (identifier, from, to). Gates on the same edge are
/// spread evenly along it; a gate whose edge is not a step of the loop is left out (the policy
/// parser refuses such gates, so this only guards the geometry).
pub fn layout(gates: &[(GateId, Stage, Stage)]) -> LoopLayout {
    let stages: Vec<StageBox> = Stage::ALL
        .into_iter()
        .map(|stage| StageBox {
            stage,
            center: stage_center(stage),
            width: BOX_W,
            height: BOX_H,
        })
        .collect();
    let box_of = |s: Stage| &stages[Stage::ALL.iter().position(|x| *x == s).unwrap_or(0)];

    let edges: Vec<EdgePath> = Stage::EDGES
        .into_iter()
        .map(|(from, to)| {
            let mut points: Vec<Point> = raw_path(from, to)
                .into_iter()
                .filter(|p| !inside_box(*p, box_of(from), 4.0) && !inside_box(*p, box_of(to), 4.0))
                .collect();
            if points.len() < 2 {
                points = vec![stage_center(from), stage_center(to)];
            }
            let tip = points[points.len() - 1];
            let (_, dir) = along(&points, 1.0);
            let base = Point {
                x: tip.x - dir.x * HEAD_LEN,
                y: tip.y - dir.y * HEAD_LEN,
            };
            let head = [
                tip,
                Point {
                    x: base.x - dir.y * HEAD_HALF_WIDTH,
                    y: base.y + dir.x * HEAD_HALF_WIDTH,
                },
                Point {
                    x: base.x + dir.y * HEAD_HALF_WIDTH,
                    y: base.y - dir.x * HEAD_HALF_WIDTH,
                },
            ];
            EdgePath {
                from,
                to,
                points,
                head,
            }
        })
        .collect();

    let mut nodes = Vec::new();
    for edge in &edges {
        let here: Vec<&GateId> = gates
            .iter()
            .filter(|(_, f, t)| *f == edge.from && *t == edge.to)
            .map(|(id, _, _)| id)
            .collect();
        let n = here.len();
        for (i, id) in here.into_iter().enumerate() {
            // Spread n gates over the middle of the edge, keeping clear of the arrowhead.
            let t = if n == 1 {
                0.5
            } else {
                0.25 + 0.5 * i as f64 / (n - 1) as f64
            };
            let (center, _) = along(&edge.points, t);
            let (label, label_anchor) = label_place(edge.from, center);
            nodes.push(GateNode {
                gate: id.clone(),
                center,
                radius: GATE_R,
                octagon: octagon(center, GATE_R),
                label,
                label_anchor,
            });
        }
    }

    LoopLayout {
        width: WIDTH,
        height: HEIGHT,
        center: Point { x: CX, y: CY },
        stages,
        edges,
        gates: nodes,
    }
}

/// Puts a gate's label outside the loop: below the straight entry edge, and radially outward on
/// the ellipse, anchored so that the text runs away from the loop.
fn label_place(from: Stage, center: Point) -> (Point, Anchor) {
    if from == Stage::Data {
        return (
            Point {
                x: center.x,
                y: center.y + GATE_R + 18.0,
            },
            Anchor::Middle,
        );
    }
    let dx = center.x - CX;
    let dy = center.y - CY;
    let len = dx.hypot(dy).max(f64::EPSILON);
    let (ux, uy) = (dx / len, dy / len);
    let gap = GATE_R + 10.0;
    let anchor = if ux > 0.35 {
        Anchor::Start
    } else if ux < -0.35 {
        Anchor::End
    } else {
        Anchor::Middle
    };
    let extra_y = if anchor == Anchor::Middle {
        6.0 * uy.signum()
    } else {
        0.0
    };
    (
        Point {
            x: center.x + ux * gap,
            y: center.y + uy * gap + extra_y + 5.0,
        },
        anchor,
    )
}

/// The layout of a policy's gates.
pub fn layout_for(policy: &crate::policy::Policy) -> LoopLayout {
    let gates: Vec<(GateId, Stage, Stage)> = policy
        .gates
        .iter()
        .map(|g| (g.id.clone(), g.from, g.to))
        .collect();
    layout(&gates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_gates() -> Vec<(GateId, Stage, Stage)> {
        vec![
            (GateId::from("data-quality"), Stage::Data, Stage::Train),
            (
                GateId::from("model-validation"),
                Stage::Validate,
                Stage::Register,
            ),
            (GateId::from("fairness"), Stage::Validate, Stage::Register),
            (GateId::from("promotion"), Stage::Register, Stage::Deploy),
            (
                GateId::from("retrain-trigger"),
                Stage::Monitor,
                Stage::Retrain,
            ),
        ]
    }

    fn overlaps(a: &StageBox, p: Point, r: f64) -> bool {
        inside_box(p, a, r)
    }

    #[test]
    fn everything_fits_on_the_canvas_and_nothing_overlaps() {
        let l = layout(&default_gates());
        assert_eq!(l.stages.len(), 7);
        assert_eq!(l.edges.len(), 7);
        assert_eq!(l.gates.len(), 5);
        for b in &l.stages {
            assert!(b.center.x - b.width / 2.0 >= 0.0 && b.center.x + b.width / 2.0 <= l.width);
            assert!(b.center.y - b.height / 2.0 >= 0.0 && b.center.y + b.height / 2.0 <= l.height);
        }
        for g in &l.gates {
            for b in &l.stages {
                assert!(
                    !overlaps(b, g.center, g.radius),
                    "{} overlaps {:?}",
                    g.gate,
                    b.stage
                );
            }
        }
        for (i, a) in l.gates.iter().enumerate() {
            for b in &l.gates[i + 1..] {
                let d = (a.center.x - b.center.x).hypot(a.center.y - b.center.y);
                assert!(d > a.radius + b.radius, "{} touches {}", a.gate, b.gate);
            }
        }
    }

    #[test]
    fn edges_run_from_box_to_box_in_loop_order() {
        let l = layout(&[]);
        let pairs: Vec<(Stage, Stage)> = l.edges.iter().map(|e| (e.from, e.to)).collect();
        assert_eq!(pairs, Stage::EDGES.to_vec());
        for e in &l.edges {
            let from = &l.stages[Stage::ALL.iter().position(|s| *s == e.from).unwrap()];
            let to = &l.stages[Stage::ALL.iter().position(|s| *s == e.to).unwrap()];
            let first = e.points[0];
            let tip = e.head[0];
            let near = |p: Point, b: &StageBox| inside_box(p, b, 12.0) && !inside_box(p, b, 3.0);
            assert!(
                near(first, from),
                "{:?} starts away from its box",
                (e.from, e.to)
            );
            assert!(near(tip, to), "{:?} ends away from its box", (e.from, e.to));
        }
    }

    #[test]
    fn the_octagon_is_regular_with_a_flat_top() {
        let o = octagon(Point { x: 0.0, y: 0.0 }, 10.0);
        assert!((o[0].y - o[1].y).abs() < 1e-9, "top edge is flat");
        let side = |a: Point, b: Point| (a.x - b.x).hypot(a.y - b.y);
        for i in 0..8 {
            assert!((side(o[i], o[(i + 1) % 8]) - side(o[0], o[1])).abs() < 1e-9);
        }
    }
}
