// Generated from the Rust types by `tests/bindings.rs`; do not edit.
// Regenerate: UPDATE_BINDINGS=1 cargo test -p gatehouse-tests --test tests bindings

export type Timestamp = number;

export type ErrorCode = "policy" | "workspace" | "not_found" | "invalid" | "blocked" | "permission_denied" | "unreachable" | "storage" | "internal";

export type ErrorReport = { 
/**
 * What kind of failure this is.
 */
code: ErrorCode, 
/**
 * What happened, for a person; never holds secrets, SQL or stack traces.
 */
message: string, };

export type Stage = "data" | "train" | "validate" | "register" | "deploy" | "monitor" | "retrain";

export type SignalName = string;

export type ModelName = string;

export type VersionId = string;

export type PointerName = string;

export type Model = { 
/**
 * The model's name.
 */
name: ModelName, 
/**
 * What it is for.
 */
description: string, 
/**
 * Pointer name → version it points to.
 */
pointers: { [key in PointerName]: VersionId }, 
/**
 * Versions, oldest first.
 */
versions: Array<ModelVersion>, };

export type ModelVersion = { 
/**
 * The version identifier.
 */
version: VersionId, 
/**
 * The training run that produced it.
 */
run_id: string, 
/**
 * When it was registered.
 */
created_at: Timestamp, 
/**
 * Evaluation metrics of its run.
 */
metrics: { [key in string]: number }, 
/**
 * Free-form tags.
 */
tags: { [key in string]: string }, 
/**
 * The data version it was trained on, where known.
 */
data_version: string | null, 
/**
 * The code commit it was trained from, where known.
 */
code_commit: string | null, };

export type OwnerId = string;

export type UserName = string;

export type Owner = { 
/**
 * The key in `[owners]`; for an unassigned owner, the role that should own it.
 */
id: OwnerId, 
/**
 * A name for people.
 */
name: string, 
/**
 * How to reach them.
 */
contact: string | null, 
/**
 * Who to go to when they do not answer.
 */
escalation: string | null, 
/**
 * Users who belong to this owner.
 */
members: Array<UserName>, 
/**
 * False when the policy names no owner and this stands for the role that should own it.
 */
assigned: boolean, };

export type Role = "viewer" | "operator" | "approver" | "admin";

export type GateId = string;

export type GateState = "passed" | "blocked" | "pending" | "overridden" | "unknown";

export type CheckOutcome = "met" | "unmet" | "missing" | "stale";

export type Evidence = { 
/**
 * The check's identifier within its gate.
 */
check: string, 
/**
 * What the check verifies, for a person.
 */
description: string, 
/**
 * The signal it reads.
 */
signal: SignalName, 
/**
 * The bounds in words, such as `≤ 0` or `≥ 0.8`.
 */
expected: string, 
/**
 * The latest value read, if any.
 */
value: number | null, 
/**
 * What the check found.
 */
outcome: CheckOutcome, 
/**
 * Whether an unmet outcome blocks the gate (otherwise it leaves the gate pending).
 */
blocking: boolean, 
/**
 * When the value was read.
 */
read_at: Timestamp | null, 
/**
 * Where the value came from.
 */
source: string | null, 
/**
 * Context recorded with the reading.
 */
note: string | null, };

export type GateOverride = { 
/**
 * The gate overridden.
 */
gate: GateId, 
/**
 * Who overrode it.
 */
by: string, 
/**
 * Why.
 */
reason: string, 
/**
 * When.
 */
at: Timestamp, 
/**
 * Until when the override holds; forever when absent.
 */
expires_at: Timestamp | null, };

export type GateStatus = { 
/**
 * The gate's identifier.
 */
id: GateId, 
/**
 * A name for people.
 */
title: string, 
/**
 * The stage before the gate.
 */
from: Stage, 
/**
 * The stage after the gate.
 */
to: Stage, 
/**
 * The state derived from the evidence.
 */
state: GateState, 
/**
 * Who owns the gate.
 */
owner: Owner, 
/**
 * What the gate protects against, in a sentence.
 */
protects: string, 
/**
 * Why the gate is in its state, in one line.
 */
summary: string, 
/**
 * One entry per check, in policy order.
 */
evidence: Array<Evidence>, 
/**
 * The override in force, if the state is `overridden`.
 */
active_override: GateOverride | null, };

export type StageState = "open" | "held" | "waiting" | "unknown";

export type StageStatus = { 
/**
 * Which stage.
 */
id: Stage, 
/**
 * A name for people.
 */
title: string, 
/**
 * Its state.
 */
state: StageState, 
/**
 * What it produces.
 */
produces: string, 
/**
 * What it holds now, such as `production → 3`; empty when nothing is known.
 */
detail: string, };

export type LoopStatus = { 
/**
 * The workspace's name.
 */
workspace: string, 
/**
 * Whether it is a demo or training workspace.
 */
demo: boolean, 
/**
 * The model followed.
 */
model: ModelName, 
/**
 * When the status was computed.
 */
evaluated_at: Timestamp, 
/**
 * The seven stages in loop order.
 */
stages: Array<StageStatus>, 
/**
 * Every gate, defaults first.
 */
gates: Array<GateStatus>, };

export type Point = { 
/**
 * Left to right.
 */
x: number, 
/**
 * Top to bottom.
 */
y: number, };

export type StageBox = { 
/**
 * The stage drawn.
 */
stage: Stage, 
/**
 * The box's centre.
 */
center: Point, 
/**
 * Its width.
 */
width: number, 
/**
 * Its height.
 */
height: number, };

export type EdgePath = { 
/**
 * The stage it leaves.
 */
from: Stage, 
/**
 * The stage it enters.
 */
to: Stage, 
/**
 * The polyline, from the edge of `from`'s box to the edge of `to`'s box.
 */
points: Array<Point>, 
/**
 * The arrowhead: a triangle whose first point is the tip.
 */
head: [Point, Point, Point], };

export type Anchor = "start" | "middle" | "end";

export type GateNode = { 
/**
 * The gate drawn.
 */
gate: GateId, 
/**
 * The node's centre.
 */
center: Point, 
/**
 * The radius of the octagon's circumscribed circle.
 */
radius: number, 
/**
 * The octagon's corners, clockwise.
 */
octagon: [Point, Point, Point, Point, Point, Point, Point, Point], 
/**
 * Where its label goes.
 */
label: Point, 
/**
 * How the label is anchored there.
 */
label_anchor: Anchor, };

export type LoopLayout = { 
/**
 * Canvas width.
 */
width: number, 
/**
 * Canvas height.
 */
height: number, 
/**
 * The loop's centre, where the panel writes the model's name.
 */
center: Point, 
/**
 * The seven stage boxes in loop order.
 */
stages: Array<StageBox>, 
/**
 * The seven edges in loop order.
 */
edges: Array<EdgePath>, 
/**
 * One node per gate, in the order given.
 */
gates: Array<GateNode>, };

export type LoopView = { 
/**
 * Where the workspace lives on disk.
 */
workspace_dir: string, 
/**
 * Stages and gates with their states.
 */
status: LoopStatus, 
/**
 * Coordinates for every stage, edge and gate.
 */
layout: LoopLayout, };

export type LoopUpdate = { "kind": "ready", 
/**
 * The view to draw.
 */
view: LoopView, } | { "kind": "failed", 
/**
 * Why.
 */
error: ErrorReport, };
