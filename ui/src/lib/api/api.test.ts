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

const { loopView, toErrorReport, watchLoop } = await import('./index');

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
