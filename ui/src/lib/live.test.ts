import { describe, expect, it, vi } from 'vitest';

// Reading again is what is tested here, not the subscriptions: the api module is left out.
vi.mock('./api', () => ({
  toErrorReport: (e: unknown) => ({ code: 'internal', message: String(e) }),
  workspace: { follow: () => ({ ready: Promise.resolve(), stop: () => {} }) },
  teamChanges: { follow: () => ({ ready: Promise.resolve(), stop: () => {} }) },
}));

const { Live } = await import('./live.svelte');

/** A read that resolves when told to. */
function deferred<T>() {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('Live.reload', () => {
  it('shows a read that ends while a newer one runs, and never an older one after a newer', async () => {
    const [a, b, c] = [deferred<string>(), deferred<string>(), deferred<string>()];
    const reads = [a.promise, b.promise, c.promise];
    let call = 0;
    const live = new Live(() => reads[call++] ?? Promise.reject(new Error('one read too many')));
    const first = live.reload();
    const second = live.reload();
    const third = live.reload();

    b.resolve('second');
    await second;
    expect(live.data).toBe('second');
    a.resolve('first');
    await first;
    expect(live.data).toBe('second');
    c.resolve('third');
    await third;
    expect(live.data).toBe('third');
  });
});
