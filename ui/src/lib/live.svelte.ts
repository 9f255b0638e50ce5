// Data a view reads from the shell and keeps current: fetched once, then again on every workspace
// update (a change made by the CLI or another panel shows without a reload). A failed read keeps
// the last data and says why, instead of clearing the view.
import { teamChanges, toErrorReport, workspace, type ErrorReport } from './api';

export class Live<T> {
  data: T | null = $state(null);
  error: ErrorReport | null = $state(null);
  /** When `data` was read (ms since the epoch); with `error` set, the data is stale since then. */
  loadedAt: number | null = $state(null);
  /** Why live updates are off, if the subscription failed. */
  liveError: ErrorReport | null = $state(null);
  #fetch: () => Promise<T>;
  #seq = 0;
  /** The newest read shown. */
  #shown = 0;

  constructor(fetch: () => Promise<T>) {
    this.#fetch = fetch;
  }

  /**
   * Reads again; a slower, older read never overwrites a newer one. A read that ends while newer
   * ones are still running is shown meanwhile, so a burst of changes (one per transaction of
   * another desktop's action) does not hold the view back until it is over.
   */
  async reload(): Promise<void> {
    const n = ++this.#seq;
    try {
      const data = await this.#fetch();
      if (n < this.#shown) return;
      this.#shown = n;
      this.data = data;
      this.loadedAt = Date.now();
      this.error = null;
    } catch (e) {
      if (n < this.#shown) return;
      this.#shown = n;
      this.error = toErrorReport(e);
    }
  }

  /**
   * Reads now, on every workspace update and on every team store change notice (which comes before
   * the loop is computed again); returns the function that stops following.
   */
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
    // The notice heard last is no news to a view that mounts now.
    let mounted = false;
    const team = teamChanges.follow(() => {
      if (mounted) void this.reload();
    });
    mounted = true;
    // Without notices the workspace updates still come, a poll later.
    team.ready.catch(() => {});
    return () => {
      sub.stop();
      team.stop();
    };
  }
}
