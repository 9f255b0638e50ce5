import { beforeEach, describe, expect, it, vi } from 'vitest';

// The wrappers are tested against a stand-in for Tauri's core module: what matters here is the
// command names, the argument names the Rust side reads, and how rejections are turned into
// `ErrorReport`s.
const invoke = vi.fn();

vi.mock('@tauri-apps/api/core', () => ({
  invoke: (...args: unknown[]) => invoke(...args),
  Channel: class {
    onmessage: (message: unknown) => void = () => {};
  },
}));

const {
  alertAck,
  alertsList,
  alertUnack,
  approveRequest,
  auditEvents,
  auditVerify,
  createWorkspaceHub,
  driftBoard,
  driftChart,
  driftExport,
  driftHeatmap,
  driftMarks,
  loopView,
  promotionRequests,
  registryModels,
  rejectRequest,
  requestPromotion,
  rollback,
  rollbackPlan,
  sessionInfo,
  toErrorReport,
  watchDrift,
  watchLoop,
  watchTeam,
} = await import('./index');

beforeEach(() => {
  invoke.mockReset();
});

describe('toErrorReport', () => {
  it('keeps an ErrorReport as it is', () => {
    expect(toErrorReport({ code: 'policy', message: 'bad' })).toEqual({ code: 'policy', message: 'bad' });
  });

  it('files an unknown code under internal, keeping the message', () => {
    expect(toErrorReport({ code: 'weird', message: 'bad' })).toEqual({ code: 'internal', message: 'bad' });
  });

  it('wraps anything else as internal', () => {
    expect(toErrorReport('command loop_view not found')).toEqual({
      code: 'internal',
      message: 'command loop_view not found',
    });
    expect(toErrorReport(new Error('boom'))).toEqual({ code: 'internal', message: 'boom' });
    expect(toErrorReport({ code: 1, message: 'x' })).toEqual({ code: 'internal', message: '{"code":1,"message":"x"}' });
  });
});

describe('loopView', () => {
  it('invokes loop_view without arguments', async () => {
    invoke.mockResolvedValue({ workspace_dir: '/w' });
    await expect(loopView()).resolves.toEqual({ workspace_dir: '/w' });
    expect(invoke).toHaveBeenCalledWith('loop_view', undefined);
  });

  it('rejects with an ErrorReport', async () => {
    invoke.mockRejectedValue({ code: 'workspace', message: 'no workspace at /w' });
    await expect(loopView()).rejects.toEqual({ code: 'workspace', message: 'no workspace at /w' });
    invoke.mockRejectedValue('plain string');
    await expect(loopView()).rejects.toEqual({ code: 'internal', message: 'plain string' });
  });
});

describe('watchLoop', () => {
  it('passes a channel as onUpdate and delivers its messages', async () => {
    invoke.mockResolvedValue(null);
    const seen: unknown[] = [];
    await watchLoop((u) => seen.push(u));
    expect(invoke).toHaveBeenCalledTimes(1);
    const [command, args] = invoke.mock.calls[0] as [string, { onUpdate: { onmessage: (m: unknown) => void } }];
    expect(command).toBe('watch_loop');
    args.onUpdate.onmessage({ kind: 'failed', error: { code: 'policy', message: 'x' } });
    expect(seen).toEqual([{ kind: 'failed', error: { code: 'policy', message: 'x' } }]);
  });
});

describe('watchTeam', () => {
  it('passes a channel as onChange and delivers the count of notices heard', async () => {
    invoke.mockResolvedValue(null);
    const seen: number[] = [];
    await watchTeam((n) => seen.push(n));
    const [command, args] = invoke.mock.calls[0] as [string, { onChange: { onmessage: (m: number) => void } }];
    expect(command).toBe('watch_team');
    args.onChange.onmessage(3);
    expect(seen).toEqual([3]);
  });
});

describe('watchDrift', () => {
  it('passes a channel as onUpdate and delivers the feed', async () => {
    invoke.mockResolvedValue(null);
    const seen: unknown[] = [];
    await watchDrift((u) => seen.push(u));
    const [command, args] = invoke.mock.calls[0] as [string, { onUpdate: { onmessage: (m: unknown) => void } }];
    expect(command).toBe('watch_drift');
    args.onUpdate.onmessage({ kind: 'failed', seq: 3, error: { code: 'unreachable', message: 'x' } });
    expect(seen).toEqual([{ kind: 'failed', seq: 3, error: { code: 'unreachable', message: 'x' } }]);
  });
});

describe('registry, promotion, audit, drift and alert commands', () => {
  it('invoke the Rust command names with the argument names it reads', async () => {
    invoke.mockResolvedValue('ok');
    const cases: [() => Promise<unknown>, string, Record<string, unknown> | undefined][] = [
      [sessionInfo, 'session_info', undefined],
      [registryModels, 'registry_models', undefined],
      [promotionRequests, 'promotion_requests', undefined],
      [
        () => requestPromotion({ model: 'churn', version: '5', pointer: 'production', reason: 'better' }),
        'request_promotion',
        { model: 'churn', version: '5', pointer: 'production', reason: 'better' },
      ],
      [() => approveRequest(2, 'ok'), 'approve_request', { id: 2, reason: 'ok' }],
      [() => approveRequest(3, null), 'approve_request', { id: 3, reason: null }],
      [() => rejectRequest(4, 'no'), 'reject_request', { id: 4, reason: 'no' }],
      [
        () => rollbackPlan({ model: 'churn', pointer: null, to: null }),
        'rollback_plan',
        { model: 'churn', pointer: null, to: null },
      ],
      [
        () => rollback({ model: 'churn', pointer: 'production', to: '3', reason: 'latency' }),
        'rollback',
        { model: 'churn', pointer: 'production', to: '3', reason: 'latency' },
      ],
      [auditEvents, 'audit_events', undefined],
      [auditVerify, 'audit_verify', undefined],
      [() => driftBoard(4), 'drift_board', { seq: 4, method: null }],
      [() => driftBoard(4, 'ks'), 'drift_board', { seq: 4, method: 'ks' }],
      [
        () => driftChart({ seq: 4, feature: 'income', chart: 'score', theme: 'dark', method: null, window: null }),
        'drift_chart',
        { seq: 4, feature: 'income', chart: 'score', theme: 'dark', method: null, window: null },
      ],
      [
        () => driftChart({ seq: 5, feature: 'plan', chart: 'histogram', theme: 'light', method: 'psi', window: 3 }),
        'drift_chart',
        { seq: 5, feature: 'plan', chart: 'histogram', theme: 'light', method: 'psi', window: 3 },
      ],
      [
        () => driftHeatmap({ seq: 4, theme: 'light', method: null }),
        'drift_heatmap',
        { seq: 4, theme: 'light', method: null },
      ],
      [
        () => driftMarks({ seq: 4, feature: 'income', method: 'ks' }),
        'drift_marks',
        { seq: 4, feature: 'income', method: 'ks' },
      ],
      [
        () =>
          driftExport({ seq: 4, feature: 'income', chart: 'score', theme: 'light', method: null, window: 2, format: 'png' }),
        'drift_export',
        { seq: 4, feature: 'income', chart: 'score', theme: 'light', method: null, window: 2, format: 'png' },
      ],
      [() => alertsList(), 'alerts_list', { owner: null }],
      [() => alertsList('ml-oncall'), 'alerts_list', { owner: 'ml-oncall' }],
      [
        () => alertAck({ alert: 'a1b2', duration: '2h', reason: 'known, fix deploying' }),
        'alert_ack',
        { alert: 'a1b2', duration: '2h', reason: 'known, fix deploying' },
      ],
      [() => alertUnack({ alert: 'a1b2', reason: 'fix failed' }), 'alert_unack', { alert: 'a1b2', reason: 'fix failed' }],
      [() => alertUnack({ alert: 'a1b2', reason: null }), 'alert_unack', { alert: 'a1b2', reason: null }],
    ];
    for (const [run, command, args] of cases) {
      invoke.mockClear();
      await expect(run()).resolves.toBe('ok');
      expect(invoke).toHaveBeenCalledWith(command, args);
    }
  });

  it('reject with the server\'s ErrorReport', async () => {
    invoke.mockRejectedValue({ code: 'not_found', message: 'no feature `nope`' });
    await expect(driftChart({ seq: 1, feature: 'nope', chart: 'score', theme: 'light', method: null, window: null })).rejects.toEqual({
      code: 'not_found',
      message: 'no feature `nope`',
    });
    invoke.mockRejectedValue({ code: 'blocked', message: 'the promotion gate is blocked' });
    await expect(approveRequest(1, null)).rejects.toEqual({
      code: 'blocked',
      message: 'the promotion gate is blocked',
    });
    invoke.mockRejectedValue({
      code: 'invalid',
      message: "alerts of Gatehouse's own rules clear when their cause does; acknowledging them needs an Alertmanager",
    });
    await expect(alertAck({ alert: 'x', duration: '1h', reason: 'r' })).rejects.toMatchObject({
      code: 'invalid',
      message: expect.stringContaining('Alertmanager'),
    });
    invoke.mockRejectedValue({ code: 'permission_denied', message: 'bob may not roll back' });
    await expect(rollback({ model: 'm', pointer: null, to: null, reason: 'r' })).rejects.toEqual({
      code: 'permission_denied',
      message: 'bob may not roll back',
    });
  });
});

describe('createWorkspaceHub', () => {
  const ready = { kind: 'failed', error: { code: 'policy', message: 'x' } } as const;

  it('subscribes once and fans updates out, replaying the latest to late listeners', async () => {
    let push: (u: typeof ready) => void = () => {};
    const watch = vi.fn(async (cb: (u: typeof ready) => void) => {
      push = cb;
    });
    const hub = createWorkspaceHub(watch);
    const a: unknown[] = [];
    const b: unknown[] = [];
    await hub.follow((u) => a.push(u)).ready;
    push(ready);
    const sub = hub.follow((u) => b.push(u));
    await sub.ready;
    expect(watch).toHaveBeenCalledTimes(1);
    expect(b).toEqual([ready]);
    sub.stop();
    push(ready);
    expect(a).toHaveLength(2);
    expect(b).toHaveLength(1);
  });

  it('reports a failed subscription as an ErrorReport and tries again on the next follow', async () => {
    const watch = vi.fn().mockRejectedValueOnce('no channel').mockResolvedValueOnce(undefined);
    const hub = createWorkspaceHub(watch);
    await expect(hub.follow(() => {}).ready).rejects.toEqual({ code: 'internal', message: 'no channel' });
    await expect(hub.follow(() => {}).ready).resolves.toBeUndefined();
    expect(watch).toHaveBeenCalledTimes(2);
  });
});
