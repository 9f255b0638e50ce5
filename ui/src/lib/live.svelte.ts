// Data a view reads from the shell and keeps current: fetched once, then again on every workspace
// update (a change made by the CLI or another panel shows without a reload). A failed read keeps
// the last data and says why, instead of clearing the view.
import { toErrorReport, workspace, type ErrorReport } from './api';

export class Live<T> {
  data: T | null = $state(null);
  error: ErrorReport | null = $state(null);
  /** When `data` was read (ms since the epoch); with `error` set, the data is stale since then. */
  loadedAt: number | null = $state(null);
  /** Why live updates are off, if the subscription failed. */
  liveError: ErrorReport | null = $state(null);
  #fetch: () => Promise<T>;
  #seq = 0;

  constructor(fetch: () => Promise<T>) {
    this.#fetch = fetch;
  }

  /** Reads again; a slower, older read never overwrites a newer one. */
  async reload(): Promise<void> {
    const n = ++this.#seq;
    try {
      const data = await this.#fetch();
      if (n !== this.#seq) return;
      this.data = data;
      this.loadedAt = Date.now();
      this.error = null;
    } catch (e) {
      if (n !== this.#seq) return;
      this.error = toErrorReport(e);
    }
  }

  /** Reads now and on every workspace update; returns the function that stops following. */
  follow(): () => void {
    let replayed = false;
    const sub = workspace.follow(() => {
      replayed = true;
      void this.reload();
    });
    if (!replayed) void this.reload();
    sub.ready.then(
      () => (this.liveError = null),
      (e: unknown) => (this.liveError = toErrorReport(e)),
    );
    return sub.stop;
  }
}
