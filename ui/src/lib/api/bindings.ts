// Generated from the Rust types by `tests/bindings.rs`; do not edit.
// Regenerate: UPDATE_BINDINGS=1 cargo test -p gatehouse-tests --test tests bindings

export type Timestamp = number;

export type ErrorCode = "policy" | "workspace" | "not_found" | "invalid" | "bad_input" | "blocked" | "permission_denied" | "unreachable" | "storage" | "internal";

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

export type RegistryView = { 
/**
 * Every model with its versions and pointers.
 */
models: Array<Model>, 
/**
 * The legacy stage (`Staging`, `Production`, `Archived`) of each version that holds one, by
 * model and version: MLflow servers that use stages. Empty for registries of aliases.
 */
stages: { [key in ModelName]: { [key in VersionId]: string } }, 
/**
 * When the registry was read.
 */
read_at: Timestamp, 
/**
 * Why the registry cannot be read now, when this is its last good listing kept from
 * `read_at`.
 */
unreadable: ErrorReport | null, };

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

export type Session = { 
/**
 * The login.
 */
user: UserName, 
/**
 * A name for people.
 */
display_name: string, 
/**
 * The roles the policy grants (empty for a user it does not know: read only).
 */
roles: Array<Role>, 
/**
 * Whether the policy knows the user.
 */
known: boolean, 
/**
 * May request promotions.
 */
can_request: boolean, 
/**
 * May approve or reject promotions.
 */
can_decide: boolean, 
/**
 * May roll back.
 */
can_rollback: boolean, 
/**
 * May override gates.
 */
can_override: boolean, 
/**
 * The pointer that means production in this workspace.
 */
production_pointer: PointerName, };

export type RequestId = number;

export type RequestKind = "promotion" | "rollback";

export type RequestState = "requested" | "approved" | "rejected" | "executing" | "done" | "failed";

export type Approval = { 
/**
 * Who approved.
 */
by: UserName, 
/**
 * When.
 */
at: Timestamp, 
/**
 * Why, if they said.
 */
reason: string | null, };

export type Decision = { 
/**
 * Who decided.
 */
by: UserName, 
/**
 * When.
 */
at: Timestamp, 
/**
 * Why.
 */
reason: string, };

export type PromotionRequest = { 
/**
 * Its number.
 */
id: RequestId, 
/**
 * Promotion or rollback.
 */
kind: RequestKind, 
/**
 * The model.
 */
model: ModelName, 
/**
 * The version the pointer is to point to.
 */
version: VersionId, 
/**
 * The pointer to move.
 */
pointer: PointerName, 
/**
 * Where the pointer stood when the request was made; execution refuses if it moved since.
 */
from_version: VersionId | null, 
/**
 * Why, in the requester's words.
 */
reason: string, 
/**
 * Who asked.
 */
requester: UserName, 
/**
 * When.
 */
requested_at: Timestamp, 
/**
 * Where it stands.
 */
state: RequestState, 
/**
 * How many distinct approvals it needs.
 */
required_approvals: number, 
/**
 * The approvals so far, in order.
 */
approvals: Array<Approval>, 
/**
 * The gates that guard it, as they stood when it was requested.
 */
gates: Array<GateStatus>, 
/**
 * The rejection, if rejected.
 */
rejection: Decision | null, 
/**
 * An admin's override of blocking gates, if any.
 */
gate_override: Decision | null, 
/**
 * What happened when it was executed (the back end's answer, or why it failed).
 */
outcome: string | null, };

export type RequestView = { 
/**
 * The request.
 */
request: PromotionRequest, 
/**
 * Whether the acting user may approve it now.
 */
can_approve: boolean, 
/**
 * Why not, when they may not (a missing role, the four-eyes rule, already approved, …).
 */
cannot_approve_because: string | null, 
/**
 * The deploy hooks called after it moved its pointer, as the audit log records them.
 */
hooks: Array<HookDelivery>, };

export type RollbackPlan = { 
/**
 * The model.
 */
model: ModelName, 
/**
 * The pointer.
 */
pointer: PointerName, 
/**
 * Where it points now.
 */
from: VersionId, 
/**
 * Where it would point.
 */
to: VersionId, };

export type Looking = { 
/**
 * The request.
 */
request: RequestId, 
/**
 * Who else looks at it, by name.
 */
users: Array<UserName>, };

export type HookEvent = "promotion" | "rollback" | "abort";

export type HookDelivery = { 
/**
 * The event it was called for.
 */
event: HookEvent, 
/**
 * The hook's URL.
 */
url: string, 
/**
 * Whether the hook accepted the call (a 2xx answer).
 */
delivered: boolean, 
/**
 * Its answer, or why it failed.
 */
response: string, 
/**
 * When it was called.
 */
at: Timestamp, };

export type AuditAction = "requested" | "approved" | "rejected" | "overridden" | "rollback_requested" | "executed" | "failed" | "reconciled" | "denied" | "acknowledged" | "unacknowledged" | "hook_called" | "hook_failed" | "quarantined" | "retrain_requested" | "drill_started" | "hint_taken" | "drill_finished";

export type AuditEvent = { 
/**
 * Its place in the log, from 1 without gaps.
 */
seq: number, 
/**
 * When it happened.
 */
at: Timestamp, 
/**
 * Who did it.
 */
actor: UserName, 
/**
 * What was done.
 */
action: AuditAction, 
/**
 * What it was done to.
 */
target: string, 
/**
 * The state before.
 */
before: string | null, 
/**
 * The state after.
 */
after: string | null, 
/**
 * Why.
 */
reason: string | null, 
/**
 * What the back end answered.
 */
response: string | null, 
/**
 * The request it belongs to.
 */
request: RequestId | null, 
/**
 * The hash of the previous event ([`GENESIS`] for the first).
 */
prev_hash: string, 
/**
 * SHA-256 over this event's fields and `prev_hash`, hex-encoded.
 */
hash: string, };

export type AuditProblem = "edited" | "broken_link" | "gap";

export type BadEvent = { 
/**
 * Its sequence number as stored.
 */
seq: number, 
/**
 * What is wrong.
 */
problem: AuditProblem, };

export type Verification = { 
/**
 * How many events were read.
 */
events: number, 
/**
 * The hash of the last event: publish it to anchor the log against truncation.
 */
head: string, 
/**
 * The first bad event and what is wrong with it; none when the log is intact.
 */
first_bad: BadEvent | null, };

export type AlertId = string;

export type AlertName = string;

export type SilenceId = string;

export type Severity = "critical" | "warning" | "info" | "unknown";

export type AlertState = "firing" | "acknowledged" | "resolved";

export type Ownership = "label" | "alert_name" | "receiver" | "model" | "unowned";

export type Acknowledgement = { 
/**
 * The silence that carries it.
 */
silence: SilenceId, 
/**
 * Who.
 */
by: string, 
/**
 * Why.
 */
reason: string, 
/**
 * Since when.
 */
since: Timestamp, 
/**
 * Until when.
 */
until: Timestamp, 
/**
 * Milliseconds left at the time the alerts were read.
 */
remaining_ms: number, };

export type Alert = { 
/**
 * Its identity at the source.
 */
id: AlertId, 
/**
 * Its `alertname`.
 */
name: AlertName, 
/**
 * How urgent.
 */
severity: Severity, 
/**
 * Its owner, when one was found.
 */
owner: Owner | null, 
/**
 * How the owner was found, or that none was.
 */
ownership: Ownership, 
/**
 * The runbook to follow.
 */
runbook: string | null, 
/**
 * What it is about, in a line.
 */
summary: string | null, 
/**
 * Where it stands.
 */
state: AlertState, 
/**
 * When it started firing.
 */
since: Timestamp, 
/**
 * Who acknowledged it, when acknowledged.
 */
acknowledgement: Acknowledgement | null, 
/**
 * All its labels.
 */
labels: { [key in string]: string }, };

export type FeatureKind = "numerical" | "categorical";

export type DriftPoint = { 
/**
 * The end of the window.
 */
at: Timestamp, 
/**
 * The statistic or distance.
 */
value: number, 
/**
 * The p-value, for tests.
 */
p_value: number | null, 
/**
 * What is compared with the threshold (the p-value for tests, the distance otherwise).
 */
score: number, 
/**
 * Whether the feature drifted in this window.
 */
drifted: boolean, 
/**
 * Share of missing values in the window.
 */
missing_share: number, 
/**
 * Reference against this window.
 */
histogram: Histogram, };

export type Histogram = { 
/**
 * Bin labels (a range for numbers, the category otherwise).
 */
labels: Array<string>, 
/**
 * Share of the reference in each bin.
 */
reference: Array<number>, 
/**
 * Share of the latest window in each bin.
 */
current: Array<number>, };

export type FeatureDrift = { 
/**
 * The feature.
 */
name: string, 
/**
 * Its kind.
 */
kind: FeatureKind, 
/**
 * The method used (`wasserstein`, `ks`, `jensenshannon`, …).
 */
method: string, 
/**
 * Whether the method is a statistical test (drift when the p-value is at or below the
 * threshold) rather than a distance (drift at or above it).
 */
is_test: boolean, 
/**
 * The threshold.
 */
threshold: number, 
/**
 * One point per window, oldest first.
 */
points: Array<DriftPoint>, 
/**
 * Reference against the latest window.
 */
histogram: Histogram, 
/**
 * Share of missing values in the reference.
 */
reference_missing_share: number, 
/**
 * When the drift the feature shows now began: the end of the first window of its trailing
 * run of drifting windows. `None` when the latest window does not drift.
 */
onset: Timestamp | null, };

export type WindowDrift = { 
/**
 * Start of the window.
 */
start: Timestamp, 
/**
 * End of the window.
 */
end: Timestamp, 
/**
 * Share of features drifting.
 */
share_drifted: number, 
/**
 * Whether the share reaches the policy's dataset-drift share.
 */
dataset_drift: boolean, };

export type DriftBoard = { 
/**
 * The model.
 */
model: ModelName, 
/**
 * Per feature, in name order.
 */
features: Array<FeatureDrift>, 
/**
 * Per window, oldest first.
 */
windows: Array<WindowDrift>, 
/**
 * The share of drifting features that makes dataset drift.
 */
drift_share: number, };

export type DriftUpdate = { "kind": "ready", 
/**
 * The monitor task's step: charts of this board are drawn by naming it.
 */
seq: number, 
/**
 * The board through the policy's methods.
 */
board: DriftBoard, } | { "kind": "failed", 
/**
 * The monitor task's step.
 */
seq: number, 
/**
 * Why.
 */
error: ErrorReport, };

export type ChartMark = { 
/**
 * The window: an index into the feature's points.
 */
window: number, 
/**
 * Pixels from the chart's left edge.
 */
x: number, 
/**
 * Pixels from the chart's top edge.
 */
y: number, };

export type SystemSignal = "latency_p50" | "latency_p95" | "latency_p99" | "error_rate" | "request_rate" | "cpu" | "memory" | "queue";

export type Unit = "seconds" | "ratio" | "per_second" | "cores" | "bytes" | "count";

export type SignalPoint = { 
/**
 * When.
 */
at: Timestamp, 
/**
 * The value, or none (NaN, infinite, or missing).
 */
value: number | null, };

export type SignalSeries = { 
/**
 * Which signal.
 */
signal: SystemSignal, 
/**
 * Which version (the source's version label).
 */
version: string, 
/**
 * Its points, oldest first.
 */
points: Array<SignalPoint>, };

export type SignalSource = "prometheus" | "serving_stream";

export type DriftSummary = { 
/**
 * Share of features drifting in the latest window.
 */
share_drifted: number, 
/**
 * The share that makes dataset drift.
 */
drift_share: number, 
/**
 * The features drifting in the latest window.
 */
drifting: Array<string>, 
/**
 * The end of the latest window.
 */
window_end: Timestamp, 
/**
 * Share drifting per window, oldest first.
 */
history: Array<SignalPoint>, };

export type QualityProxy = { 
/**
 * The signal.
 */
signal: string, 
/**
 * What the check that reads it says it is.
 */
description: string, 
/**
 * The latest value, if any was recorded.
 */
value: number | null, 
/**
 * When it was read.
 */
read_at: Timestamp | null, };

export type MonitorView = { 
/**
 * The model.
 */
model: ModelName, 
/**
 * Where the system signals came from.
 */
source: SignalSource, 
/**
 * The start of the range.
 */
from: Timestamp, 
/**
 * The end of the range.
 */
to: Timestamp, 
/**
 * The versions that served in the range, in version order.
 */
versions: Array<string>, 
/**
 * Every signal of every version.
 */
series: Array<SignalSeries>, 
/**
 * The signals the source had nothing for, with why, so an empty chart is explained.
 */
missing: Array<string>, 
/**
 * The data signals, when the model has a monitored serving stream.
 */
drift: DriftSummary | null, 
/**
 * The quality proxies the policy names.
 */
quality: Array<QualityProxy>, };

export type RolloutKind = "canary" | "shadow";

export type MetricSource = { "signal": SignalName } | { "query": string };

export type MetricSpec = { 
/**
 * A name for people, such as `error rate`.
 */
name: string, 
/**
 * Where its values come from.
 */
source: MetricSource, 
/**
 * A measurement for which this holds is successful.
 */
success: string | null, 
/**
 * A measurement for which this holds is failed (it wins over `success`).
 */
failure: string | null, 
/**
 * Seconds between measurements.
 */
interval_seconds: number, 
/**
 * How many measurements make a complete analysis.
 */
count: number, 
/**
 * Failed measurements tolerated; one more fails the metric.
 */
failure_limit: number, 
/**
 * Inconclusive measurements tolerated; one more makes the metric inconclusive.
 */
inconclusive_limit: number, 
/**
 * Whether a value is the canary's over the stable version's, so that it reads as `2.4×
 * stable` in explanations.
 */
ratio_to_stable: boolean, };

export type Outcome = "successful" | "failed" | "inconclusive" | "error";

export type Verdict = "successful" | "running" | "inconclusive" | "error" | "failed";

export type Measurement = { 
/**
 * The measured value; none when the measurement had no value.
 */
value: number | null, 
/**
 * When it was taken.
 */
at: Timestamp, 
/**
 * What it says.
 */
outcome: Outcome, };

export type Tally = { 
/**
 * Successful measurements.
 */
successful: number, 
/**
 * Failed measurements.
 */
failed: number, 
/**
 * Inconclusive measurements.
 */
inconclusive: number, 
/**
 * Measurements without a value.
 */
error: number, 
/**
 * The longest run of errors at the end.
 */
consecutive_errors: number, };

export type MetricAnalysis = { 
/**
 * The metric as the policy defines it.
 */
spec: MetricSpec, 
/**
 * Its measurements, oldest first (at most `count`).
 */
measurements: Array<Measurement>, 
/**
 * Their tally.
 */
tally: Tally, 
/**
 * The metric's verdict.
 */
verdict: Verdict, 
/**
 * Why, in words.
 */
explanation: string, 
/**
 * When the next measurement is due, while running.
 */
next_due: Timestamp | null, };

export type Analysis = { 
/**
 * The model.
 */
model: ModelName, 
/**
 * Canary or shadow.
 */
kind: RolloutKind, 
/**
 * The pointer being rolled out.
 */
pointer: PointerName, 
/**
 * The overall verdict.
 */
verdict: Verdict, 
/**
 * Each metric's analysis.
 */
metrics: Array<MetricAnalysis>, 
/**
 * The explanations of the metrics that decide the verdict, joined.
 */
explanation: string, };

export type LiveAnalysis = { 
/**
 * The analysis as [`Rollout::analyze`] makes it.
 */
analysis: Analysis, 
/**
 * The version under analysis: where the pointer points now.
 */
canary: VersionId | null, 
/**
 * When the pointer moved to it, as the audit log records; none when it was set elsewhere.
 */
started_at: Timestamp | null, 
/**
 * An override of the analysis recorded since then: it passes the gate until the pointer
 * moves again.
 */
overridden: GateOverride | null, 
/**
 * Why the PromQL measurements that fell due could not be taken (the metrics back end is
 * down, or the policy names none): the analysis is then as of the last one stored.
 */
unmeasured: string | null, };

export type RolloutView = { 
/**
 * The model.
 */
model: ModelName, 
/**
 * Canary or shadow.
 */
kind: RolloutKind, 
/**
 * The pointer being rolled out.
 */
pointer: PointerName, 
/**
 * Whether a failed analysis rolls back by itself.
 */
auto_rollback: boolean, 
/**
 * The analysis, when it started, and any override.
 */
live: LiveAnalysis, 
/**
 * The version a rollback or an abort returns to (the one the pointer held before).
 */
stable: VersionId | null, 
/**
 * Why there is none, when there is none.
 */
no_stable_because: string | null, 
/**
 * The rollout gate as the loop shows it.
 */
gate: GateStatus, 
/**
 * The rollback a failed analysis proposes, waiting for a person to confirm it.
 */
proposal: RollbackPlan | null, 
/**
 * The acting user.
 */
user: UserName, 
/**
 * Why the acting user may not roll back or abort, if they may not.
 */
cannot_roll_back_because: string | null, 
/**
 * Why the acting user may not override the analysis, if they may not.
 */
cannot_override_because: string | null, 
/**
 * When the view was computed.
 */
evaluated_at: Timestamp, };

export type StepId = string;

export type TourTarget = { "kind": "none" } | { "kind": "stage", 
/**
 * Which stage.
 */
stage: Stage, } | { "kind": "gate", 
/**
 * Which gate.
 */
gate: GateId, };

export type TourSource = "workspace" | "default";

export type StepLive = { "kind": "none" } | { "kind": "stage", 
/**
 * Which stage.
 */
stage: Stage, 
/**
 * Its state now.
 */
state: StageState, 
/**
 * What it holds now, such as `production → 3`; may be empty.
 */
detail: string, } | { "kind": "gate", 
/**
 * Which gate.
 */
gate: GateId, 
/**
 * Its name for people.
 */
title: string, 
/**
 * Its state now.
 */
state: GateState, 
/**
 * Why it is in that state, in one line.
 */
summary: string, 
/**
 * Who owns it in this team.
 */
owner: Owner, } | { "kind": "missing", 
/**
 * Which gate.
 */
gate: GateId, };

export type StepView = { 
/**
 * The step's id.
 */
id: StepId, 
/**
 * What "Show me" highlights.
 */
target: TourTarget, 
/**
 * One line.
 */
title: string, 
/**
 * What the stage produces or the gate protects (Markdown-lite).
 */
body: string, 
/**
 * What fails without it.
 */
without_it: string, 
/**
 * What good looks like.
 */
good: string, 
/**
 * Signals that feed it: the gate's checks' signals first, then those the tour names.
 */
signals: Array<SignalName>, 
/**
 * The target as it stands now.
 */
live: StepLive, 
/**
 * One sentence about the target in this team now, such as "In your team, the Promotion gate
 * is owned by Release council (#ml-releases) and is pending right now."; empty for none.
 */
in_your_team: string, 
/**
 * When the acting user marked the step done.
 */
done_at: Timestamp | null, };

export type TourView = { 
/**
 * The tour's title.
 */
title: string, 
/**
 * Whether it is the workspace's own file or the default.
 */
source: TourSource, 
/**
 * The model the loop follows.
 */
model: ModelName, 
/**
 * Whose progress is shown.
 */
user: UserName, 
/**
 * The steps in order.
 */
steps: Array<StepView>, 
/**
 * How many steps the user has done.
 */
completed: number, };

export type Completion = { 
/**
 * The step.
 */
step: StepId, 
/**
 * When it was first marked done.
 */
at: Timestamp, };

export type LearnProgress = { 
/**
 * Whose progress.
 */
user: UserName, 
/**
 * Completed tour steps, oldest first.
 */
steps: Array<Completion>, };

export type MemberProgress = { 
/**
 * The login.
 */
user: UserName, 
/**
 * A name for people.
 */
display_name: string, 
/**
 * Whether the policy knows the user.
 */
known: boolean, 
/**
 * Steps of the current tour done.
 */
completed: number, 
/**
 * Steps in the current tour.
 */
total: number, 
/**
 * When they last marked a step done or finished a drill.
 */
last_at: Timestamp | null, 
/**
 * Drills passed (filled by [`crate::drill::with_drills`]).
 */
drills_passed: number, 
/**
 * Drills there are.
 */
drills_total: number, };

export type DrillId = string;

export type DrillOutcome = "in_progress" | "gave_up" | "incomplete" | "passed";

export type DrillResult = { 
/**
 * Who played it.
 */
user: UserName, 
/**
 * Which drill.
 */
drill: DrillId, 
/**
 * When it finished.
 */
finished_at: Timestamp, 
/**
 * Seconds taken.
 */
seconds: number, 
/**
 * Its score.
 */
score: number, 
/**
 * Hints taken.
 */
hints: number, 
/**
 * Passed, incomplete or given up.
 */
outcome: DrillOutcome, };

export type DrillCard = { 
/**
 * The drill.
 */
id: DrillId, 
/**
 * Its title.
 */
title: string, 
/**
 * Its goal.
 */
goal: string, 
/**
 * Steps in its runbook.
 */
steps: number, 
/**
 * Hints it has.
 */
hints: number, 
/**
 * The user's best result: passed beats not, then the higher score, then the faster.
 */
best: DrillResult | null, 
/**
 * How often the user finished or gave it up.
 */
runs: number, };

export type DrillStatus = { 
/**
 * The drill.
 */
drill: DrillId, 
/**
 * Its title.
 */
title: string, 
/**
 * Its goal.
 */
goal: string, 
/**
 * Who plays it.
 */
trainee: UserName, 
/**
 * When it started.
 */
started_at: Timestamp, 
/**
 * Seconds since it started.
 */
elapsed_secs: number, 
/**
 * The hints taken so far, in order.
 */
hints_taken: Array<string>, 
/**
 * How many hints the drill has.
 */
hints_total: number, 
/**
 * Script events applied so far.
 */
events_applied: number, 
/**
 * Script events in all.
 */
events_total: number, 
/**
 * The drill copy's directory.
 */
copy_dir: string, 
/**
 * Whether it was finished or given up (its debrief is final).
 */
finished: boolean, };

export type ActionMark = "expected" | "out_of_order" | "unexpected";

export type DebriefAction = { 
/**
 * Its place in the audit log.
 */
seq: number, 
/**
 * Seconds after the drill started.
 */
offset_secs: number, 
/**
 * What was done.
 */
action: AuditAction, 
/**
 * To what.
 */
target: string, 
/**
 * The state after, as the log records it (a version, an owner).
 */
after: string | null, 
/**
 * The trainee's reason.
 */
reason: string | null, 
/**
 * How it compares with the runbook.
 */
mark: ActionMark, 
/**
 * The runbook step it took, numbered from 1.
 */
step: number | null, 
/**
 * What the debrief says about it.
 */
comment: string, };

export type MissedStep = { 
/**
 * Its number, from 1.
 */
step: number, 
/**
 * What to do.
 */
title: string, 
/**
 * Why it matters.
 */
why: string, };

export type Debrief = { 
/**
 * The drill.
 */
drill: DrillId, 
/**
 * Its title.
 */
title: string, 
/**
 * Who played it.
 */
trainee: UserName, 
/**
 * When it started.
 */
started_at: Timestamp, 
/**
 * When it was finished or given up.
 */
finished_at: Timestamp | null, 
/**
 * Seconds from start to finish (or to now while it runs).
 */
seconds: number, 
/**
 * The runbook's steps, in order.
 */
runbook: Array<string>, 
/**
 * What the trainee did, in order.
 */
actions: Array<DebriefAction>, 
/**
 * Runbook steps never taken.
 */
missed: Array<MissedStep>, 
/**
 * Hints taken.
 */
hints_used: number, 
/**
 * Hints the drill has.
 */
hints_total: number, 
/**
 * 0 to 100: the runbook's steps (half for one out of order), less
 * [`UNEXPECTED_PENALTY`] per unexpected action and [`HINT_PENALTY`] per hint.
 */
score: number, 
/**
 * Where it stands.
 */
outcome: DrillOutcome, };
