// The Loop view's state as a pure reducer: the last good view, the error that keeps a newer one
// from being computed, and whether live updates are on. A failure never clears the last good view
// (DESIGN §8: a failed read marks data stale instead of clearing it).
import type { ErrorReport, LoopUpdate, LoopView } from './api/bindings';

export type LoopModel = {
  /** The last view computed, if any. */
  view: LoopView | null;
  /** Why the current state could not be computed; null when `view` is current. */
  error: ErrorReport | null;
  /** Why live updates are off, if subscribing failed. */
  liveError: ErrorReport | null;
  /** Whether the channel has delivered anything yet (then the one-off read is outdated). */
  live: boolean;
};

export type LoopEvent =
  | { kind: 'loaded'; view: LoopView }
  | { kind: 'load-failed'; error: ErrorReport }
  | { kind: 'update'; update: LoopUpdate }
  | { kind: 'watch-failed'; error: ErrorReport };

export const initialLoop: LoopModel = { view: null, error: null, liveError: null, live: false };

export function reduceLoop(model: LoopModel, event: LoopEvent): LoopModel {
  switch (event.kind) {
    case 'loaded':
      // The channel pushes a fresh view at once; a one-off read that resolves after it is older.
      if (model.live) return model;
      return { ...model, view: event.view, error: null };
    case 'load-failed':
      if (model.live) return model;
      return { ...model, error: event.error };
    case 'update':
      switch (event.update.kind) {
        case 'ready':
          return { ...model, view: event.update.view, error: null, live: true };
        case 'failed':
          return { ...model, error: event.update.error, live: true };
      }
    case 'watch-failed':
      return { ...model, liveError: event.error };
  }
}

/** Whether the view drawn is the last good one rather than the current state. */
export function isStale(model: LoopModel): boolean {
  return model.view !== null && model.error !== null;
}

/**
 * What the person can expect once the error's cause is fixed. Only a running watch redraws the
 * loop by itself; while live updates are off (the watch could not start, for instance because the
 * workspace was not opened), the error's own message says what else it takes.
 */
export function errorHint(model: LoopModel): string {
  if (model.liveError !== null) {
    return isStale(model)
      ? 'Stale — showing the last good state. Live updates are off, so it does not update by itself.'
      : 'Nothing to show yet, and live updates are off, so the loop does not appear by itself.';
  }
  return isStale(model)
    ? 'Stale — showing the last good state. It updates by itself once the problem is fixed.'
    : 'Nothing to show yet. Fix the problem and the loop appears by itself.';
}

/** The heading for an error, from its code. */
export function errorTitle(error: ErrorReport): string {
  switch (error.code) {
    case 'policy':
      return 'The policy file has an error';
    case 'workspace':
      return 'The workspace cannot be read';
    case 'not_found':
      return 'Not found';
    case 'invalid':
      return 'Invalid input';
    case 'bad_input':
      return 'The input data could not be read';
    case 'blocked':
      return 'Blocked by a gate';
    case 'permission_denied':
      return 'Permission denied';
    case 'unreachable':
      return 'A back end is unreachable';
    case 'storage':
      return 'The workspace database failed';
    case 'internal':
      return 'Something went wrong inside Gatehouse';
  }
}
