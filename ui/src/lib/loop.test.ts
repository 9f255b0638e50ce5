import { describe, expect, it } from 'vitest';

import type { ErrorReport, LoopView } from './api/bindings';
import { errorHint, errorTitle, initialLoop, isStale, reduceLoop, type LoopEvent, type LoopModel } from './loop';

function view(workspace: string): LoopView {
  return {
    workspace_dir: `/tmp/${workspace}`,
    status: { workspace, demo: false, model: 'churn', evaluated_at: 0, stages: [], gates: [] },
    layout: { width: 1120, height: 680, center: { x: 560, y: 340 }, stages: [], edges: [], gates: [] },
  };
}

const policyError: ErrorReport = {
  code: 'policy',
  message: 'gatehouse.toml line 12: unknown field `thresold`',
};

const run = (...events: LoopEvent[]): LoopModel => events.reduce(reduceLoop, initialLoop);

describe('reduceLoop', () => {
  it('shows the first view read', () => {
    const m = run({ kind: 'loaded', view: view('a') });
    expect(m.view?.status.workspace).toBe('a');
    expect(m.error).toBeNull();
    expect(isStale(m)).toBe(false);
  });

  it('shows an error with no view when the first read fails, never stale', () => {
    const m = run({ kind: 'load-failed', error: policyError });
    expect(m.view).toBeNull();
    expect(m.error).toEqual(policyError);
    expect(isStale(m)).toBe(false);
  });

  it('keeps the last good view, stale, when an update fails', () => {
    const m = run(
      { kind: 'update', update: { kind: 'ready', view: view('a') } },
      { kind: 'update', update: { kind: 'failed', error: policyError } },
    );
    expect(m.view?.status.workspace).toBe('a');
    expect(m.error).toEqual(policyError);
    expect(isStale(m)).toBe(true);
  });

  it('clears the error when a ready update follows', () => {
    const m = run(
      { kind: 'loaded', view: view('a') },
      { kind: 'update', update: { kind: 'failed', error: policyError } },
      { kind: 'update', update: { kind: 'ready', view: view('b') } },
    );
    expect(m.view?.status.workspace).toBe('b');
    expect(m.error).toBeNull();
    expect(isStale(m)).toBe(false);
  });

  it('ignores a one-off read that resolves after the channel spoke', () => {
    const m = run(
      { kind: 'update', update: { kind: 'ready', view: view('live') } },
      { kind: 'loaded', view: view('old') },
      { kind: 'load-failed', error: policyError },
    );
    expect(m.view?.status.workspace).toBe('live');
    expect(m.error).toBeNull();
  });

  it('records a failed subscription apart from the view', () => {
    const m = run(
      { kind: 'loaded', view: view('a') },
      { kind: 'watch-failed', error: { code: 'internal', message: 'no channel' } },
    );
    expect(m.view?.status.workspace).toBe('a');
    expect(m.error).toBeNull();
    expect(m.liveError?.message).toBe('no channel');
  });
});

describe('errorTitle', () => {
  it('names policy errors as such', () => {
    expect(errorTitle(policyError)).toMatch(/policy/);
  });
});

describe('errorHint', () => {
  const unreachable: ErrorReport = { code: 'unreachable', message: 'the team store does not answer' };

  it('promises the loop by itself only while the watch runs', () => {
    expect(errorHint(run({ kind: 'load-failed', error: policyError }))).toContain('appears by itself');
    const off = run(
      { kind: 'load-failed', error: unreachable },
      { kind: 'watch-failed', error: unreachable },
    );
    expect(errorHint(off)).toContain('live updates are off');
    expect(errorHint(off)).not.toContain('appears by itself');
  });

  it('says a stale view is stale, and whether it catches up by itself', () => {
    const stale = run(
      { kind: 'loaded', view: view('a') },
      { kind: 'update', update: { kind: 'failed', error: policyError } },
    );
    expect(errorHint(stale)).toContain('updates by itself');
    const frozen = reduceLoop(stale, { kind: 'watch-failed', error: unreachable });
    expect(errorHint(frozen)).toContain('Live updates are off');
    expect(errorHint(frozen)).not.toContain('updates by itself');
  });
});
