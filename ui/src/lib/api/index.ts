// The panel's only door to the Rust shell: typed wrappers over the Tauri commands. Nothing outside
// `src/lib/api/` imports `@tauri-apps/api`, so the rest of the UI sees plain functions and the
// generated types, and every failure arrives as one `ErrorReport` the UI can branch on.
import { Channel, invoke } from '@tauri-apps/api/core';

import type {
  Alert,
  AlertId,
  Analysis,
  AuditEvent,
  ChartMark,
  ErrorCode,
  ErrorReport,
  LearnProgress,
  LoopUpdate,
  LoopView,
  Looking,
  MemberProgress,
  ModelName,
  MonitorView,
  PointerName,
  PromotionRequest,
  RegistryView,
  RequestId,
  RequestView,
  RollbackPlan,
  RolloutView,
  Session,
  StepId,
  TourView,
  Verification,
  VersionId,
} from './bindings';
// Until the bindings are regenerated with the drift board, its types live beside them.
import type { DriftBoard, DriftUpdate } from '../drift-types';

export type * from './bindings';

const CODES: readonly ErrorCode[] = [
  'policy',
  'workspace',
  'not_found',
  'invalid',
  'bad_input',
  'blocked',
  'permission_denied',
  'unreachable',
  'storage',
  'internal',
];

/** Turns whatever a command rejected with into an `ErrorReport`. */
export function toErrorReport(e: unknown): ErrorReport {
  if (typeof e === 'object' && e !== null && 'code' in e && 'message' in e) {
    const { code, message } = e as { code: unknown; message: unknown };
    if (typeof code === 'string' && typeof message === 'string') {
      // An unknown code still carries a useful message; keep it, filed under `internal`.
      const known = (CODES as readonly string[]).includes(code);
      return { code: known ? (code as ErrorCode) : 'internal', message };
    }
  }
  if (e instanceof Error) return { code: 'internal', message: e.message };
  if (typeof e === 'object' && e !== null) {
    // "[object Object]" tells a person nothing; the object's JSON at least shows what came back.
    try {
      return { code: 'internal', message: JSON.stringify(e) };
    } catch {
      // Cyclic or otherwise unserializable: fall through to String().
    }
  }
  return { code: 'internal', message: String(e) };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toErrorReport(e);
  }
}

/** The loop as it stands now: status and layout. Rejects with an `ErrorReport`. */
export function loopView(): Promise<LoopView> {
  return call<LoopView>('loop_view');
}

/**
 * Writes the loop diagram with every stage's and gate's owner to the workspace's `exports/` folder
 * (`blank`: every gate neutral, for onboarding decks); resolves to the file's path.
 */
export function loopExport(args: { format: 'svg' | 'png'; theme: 'light' | 'dark'; blank: boolean }): Promise<string> {
  return call<string>('loop_export', { format: args.format, theme: args.theme, blank: args.blank });
}

/**
 * Subscribes to the loop: the shell pushes one update at once and another whenever the workspace
 * or its policy file changes. Resolves once the subscription is in place; rejects with an
 * `ErrorReport`.
 */
export function watchLoop(onUpdate: (update: LoopUpdate) => void): Promise<void> {
  const channel = new Channel<LoopUpdate>();
  channel.onmessage = onUpdate;
  return call<void>('watch_loop', { onUpdate: channel });
}

type Unsubscribe = () => void;

/**
 * One live subscription to the workspace shared by every view. The shell pushes a `LoopUpdate`
 * whenever any workspace data changes (requests, approvals, pointers, audit, policy), and a
 * `watch_loop` task on the Rust side lives as long as the webview, so the panel subscribes once and
 * fans the updates out: a view that mounts later gets the latest update at once, then every new one.
 */
export type WorkspaceHub = Hub<LoopUpdate>;

/** One subscription to a feed of the shell, shared by every view that follows it. */
export type Hub<T> = {
  /**
   * Calls `listener` with the latest update (if any) and every later one. `ready` resolves once the
   * subscription is in place and rejects with an `ErrorReport` if it could not be made (the next
   * `follow` then tries again).
   */
  follow(listener: (update: T) => void): { ready: Promise<void>; stop: Unsubscribe };
};

export function createWorkspaceHub(watch: (onUpdate: (update: LoopUpdate) => void) => Promise<void>): WorkspaceHub {
  return createHub(watch);
}

/** A hub over `watch`, which subscribes to the shell once, on the first `follow`. */
export function createHub<T>(watch: (onUpdate: (update: T) => void) => Promise<void>): Hub<T> {
  const listeners = new Set<(update: T) => void>();
  let last: T | null = null;
  let started: Promise<void> | null = null;

  function broadcast(update: T) {
    last = update;
    for (const l of [...listeners]) l(update);
  }

  return {
    follow(listener) {
      listeners.add(listener);
      if (last !== null) listener(last);
      if (started === null) {
        started = watch(broadcast).catch((e: unknown) => {
          started = null;
          throw toErrorReport(e);
        });
      }
      return { ready: started, stop: () => void listeners.delete(listener) };
    },
  };
}

/** The panel's one subscription to the workspace (see `WorkspaceHub`). */
export const workspace: WorkspaceHub = createWorkspaceHub(watchLoop);

/**
 * Subscribes to the team store's change notices: `onChange` gets the count heard so far after each
 * change any desktop makes, as soon as the database announces it (nothing on a workspace without a
 * team store). The loop's own update follows once it is computed again.
 */
export function watchTeam(onChange: (heard: number) => void): Promise<void> {
  const channel = new Channel<number>();
  channel.onmessage = onChange;
  return call<void>('watch_team', { onChange: channel });
}

/** The panel's one subscription to the team store's change notices (see `watchTeam`). */
export const teamChanges: Hub<number> = createHub(watchTeam);

/** Who acts through this panel, with the roles the policy grants. */
export function sessionInfo(): Promise<Session> {
  return call<Session>('session_info');
}

/** Models with their versions (oldest first) and pointers. */
export function registryModels(): Promise<RegistryView> {
  return call<RegistryView>('registry_models');
}

/** Every promotion or rollback request, newest first, with whether the acting user may approve it. */
export function promotionRequests(): Promise<RequestView[]> {
  return call<RequestView[]>('promotion_requests');
}

/** Asks for `model@pointer` to move to `version`; the reason is required. */
export function requestPromotion(args: {
  model: ModelName;
  version: VersionId;
  pointer: PointerName;
  reason: string;
}): Promise<PromotionRequest> {
  return call<PromotionRequest>('request_promotion', {
    model: args.model,
    version: args.version,
    pointer: args.pointer,
    reason: args.reason,
  });
}

/**
 * Approves request `id`. The approval that completes the count executes the move; that may reject
 * with `blocked` when a gate holds the request back or the pointer moved since it was requested.
 */
export function approveRequest(id: RequestId, reason: string | null): Promise<PromotionRequest> {
  return call<PromotionRequest>('approve_request', { id, reason });
}

/** Rejects request `id`; the reason is required. */
export function rejectRequest(id: RequestId, reason: string): Promise<PromotionRequest> {
  return call<PromotionRequest>('reject_request', { id, reason });
}

/**
 * What a rollback would do, without doing it. `pointer` defaults to the policy's production
 * pointer, `to` to the version it held before its last recorded move.
 */
export function rollbackPlan(args: {
  model: ModelName;
  pointer: PointerName | null;
  to: VersionId | null;
}): Promise<RollbackPlan> {
  return call<RollbackPlan>('rollback_plan', { model: args.model, pointer: args.pointer, to: args.to });
}

/** Moves `model@pointer` back to `to`, with a reason. */
export function rollback(args: {
  model: ModelName;
  pointer: PointerName | null;
  to: VersionId | null;
  reason: string;
}): Promise<PromotionRequest> {
  return call<PromotionRequest>('rollback', {
    model: args.model,
    pointer: args.pointer,
    to: args.to,
    reason: args.reason,
  });
}

/** The rollout of the followed model as the acting user sees it: analysis, gate, proposal. */
export function rolloutView(): Promise<RolloutView> {
  return call<RolloutView>('rollout_view');
}

/** One metric of the rollout analysis as SVG text: its measurements against its conditions. */
export function rolloutChart(args: { metric: string; theme: ChartTheme }): Promise<string> {
  return call<string>('rollout_chart', { metric: args.metric, theme: args.theme });
}

/** Promotes despite the analysis, with a reason; rejects `permission_denied` below the override role. */
export function rolloutOverride(reason: string): Promise<Analysis> {
  return call<Analysis>('rollout_override', { reason });
}

/** Aborts the rollout: the pointer returns to the stable version, with a reason. */
export function rolloutAbort(reason: string): Promise<PromotionRequest> {
  return call<PromotionRequest>('rollout_abort', { reason });
}

/**
 * Says that the acting user looks at `requests` now, and at no other (an empty list ends the look);
 * resolves to who else looks at which of them. Only a team store has anyone else; a look lasts a
 * few seconds, so a view that shows requests calls this every `PRESENCE_BEAT_MS`.
 */
export function teamPresence(requests: RequestId[]): Promise<Looking[]> {
  return call<Looking[]>('team_presence', { requests });
}

/** How often a view that shows requests says it still looks (the core's `presence::BEAT_SECS`). */
export const PRESENCE_BEAT_MS = 2_000;

/** The audit log, in order. */
export function auditEvents(): Promise<AuditEvent[]> {
  return call<AuditEvent[]>('audit_events');
}

/** Checks the audit log's hash chain. */
export function auditVerify(): Promise<Verification> {
  return call<Verification>('audit_verify');
}

/**
 * Subscribes to the live drift feed: the shell's monitor task pushes its latest board at once and
 * every new one after (numbered by `seq`), whether or not the view redraws. Resolves once the
 * subscription is in place; rejects with an `ErrorReport`.
 */
export function watchDrift(onUpdate: (update: DriftUpdate) => void): Promise<void> {
  const channel = new Channel<DriftUpdate>();
  channel.onmessage = onUpdate;
  return call<void>('watch_drift', { onUpdate: channel });
}

/** The panel's one subscription to the live drift feed (see `Hub`). */
export const driftFeed: Hub<DriftUpdate> = createHub(watchDrift);

/**
 * The drift board of step `seq` of the feed through `method` for every feature it applies to
 * instead of the policy's methods (the feed itself pushes the policy's board).
 */
export function driftBoard(seq: number, method: string | null = null): Promise<DriftBoard> {
  return call<DriftBoard>('drift_board', { seq, method });
}

/** A chart theme: the panel's, so the SVG matches the page around it. */
export type ChartTheme = 'light' | 'dark';

/**
 * What the Drift view shows a chart of: the feed's step whose board it shows (the shell holds the
 * recent ones, so a paused view can redraw its own), the method it looks through and the window
 * picked.
 */
export type DriftChoice = { seq: number; method: string | null; window: number | null };

/**
 * One feature's chart as SVG text: its score over time (the picked window ringed), or reference
 * vs. the picked window's histogram (the latest if none).
 */
export function driftChart(
  args: { feature: string; chart: 'score' | 'histogram'; theme: ChartTheme } & DriftChoice,
): Promise<string> {
  return call<string>('drift_chart', {
    seq: args.seq,
    feature: args.feature,
    chart: args.chart,
    theme: args.theme,
    method: args.method,
    window: args.window,
  });
}

/** Where the score chart of `feature` draws each window, in the chart's pixels. */
export function driftMarks(args: { seq: number; feature: string; method: string | null }): Promise<ChartMark[]> {
  return call<ChartMark[]>('drift_marks', { seq: args.seq, feature: args.feature, method: args.method });
}

/** The features × windows heatmap as SVG text. */
export function driftHeatmap(args: { seq: number; theme: ChartTheme; method: string | null }): Promise<string> {
  return call<string>('drift_heatmap', { seq: args.seq, theme: args.theme, method: args.method });
}

/** Writes the chart as shown to the workspace's `exports/` folder; resolves to the file's path. */
export function driftExport(
  args: { feature: string | null; chart: 'score' | 'histogram' | 'heatmap'; theme: ChartTheme; format: 'svg' | 'png' } & DriftChoice,
): Promise<string> {
  return call<string>('drift_export', {
    seq: args.seq,
    feature: args.feature,
    chart: args.chart,
    theme: args.theme,
    method: args.method,
    window: args.window,
    format: args.format,
  });
}

/** The followed model's signals over the last `rangeMinutes`: system signals per version, drift,
 * quality proxies. */
export function monitorView(rangeMinutes: number): Promise<MonitorView> {
  return call<MonitorView>('monitor_view', { rangeMinutes });
}

/** One chart of the last monitor view read, as SVG text: a signal (`latency_p95`, …) or
 * `drift_share`. */
export function monitorChart(args: { chart: string; theme: ChartTheme }): Promise<string> {
  return call<string>('monitor_chart', { chart: args.chart, theme: args.theme });
}

/** The Learn tour for the acting user: steps with the team's owners, live states and progress. */
export function learnTour(): Promise<TourView> {
  return call<TourView>('learn_tour');
}

/** Marks a tour step done for the acting user (idempotent); rejects `not_found` for an unknown step. */
export function learnComplete(step: StepId): Promise<LearnProgress> {
  return call<LearnProgress>('learn_complete', { step });
}

/** Every user's progress through the tour: done and total steps. */
export function learnTeam(): Promise<MemberProgress[]> {
  return call<MemberProgress[]>('learn_team');
}

/** Alerts, every owner's or one owner's (its key in `[owners]`): firing first, then by severity and age. */
export function alertsList(owner: string | null = null): Promise<Alert[]> {
  return call<Alert[]>('alerts_list', { owner });
}

/**
 * Acknowledges (silences) alert `alert` for `duration` (`30m`, `2h`, `1h30m`, `1d`) with a reason.
 * Rejects `permission_denied` below operator, and when the source cannot silence (Gatehouse's own
 * rules clear when their cause does).
 */
export function alertAck(args: { alert: AlertId; duration: string; reason: string }): Promise<Alert> {
  return call<Alert>('alert_ack', { alert: args.alert, duration: args.duration, reason: args.reason });
}

/** Takes an acknowledgement back (expires its silence); the reason is optional. */
export function alertUnack(args: { alert: AlertId; reason: string | null }): Promise<Alert> {
  return call<Alert>('alert_unack', { alert: args.alert, reason: args.reason });
}
