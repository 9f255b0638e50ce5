// The Audit view's logic: filtering the log by model, user and action, and saying what the hash
// chain's verification found.
import type { AuditAction, AuditEvent, AuditProblem, Verification } from './api/bindings';

/** The model an event's target names: the part before `@` (`churn@production` → `churn`). */
export function modelOf(target: string): string {
  const at = target.indexOf('@');
  return at < 0 ? target : target.slice(0, at);
}

export type AuditFilter = { model: string | null; actor: string | null; action: AuditAction | null };

export const NO_FILTER: AuditFilter = { model: null, actor: null, action: null };

/** The events that match every set filter, newest first. */
export function filterEvents(events: readonly AuditEvent[], filter: AuditFilter): AuditEvent[] {
  return events
    .filter(
      (e) =>
        (filter.model === null || modelOf(e.target) === filter.model) &&
        (filter.actor === null || e.actor === filter.actor) &&
        (filter.action === null || e.action === filter.action),
    )
    .sort((a, b) => b.seq - a.seq);
}

/** The values each filter can take, sorted, from the events present. */
export function facets(events: readonly AuditEvent[]): { models: string[]; actors: string[]; actions: AuditAction[] } {
  const uniq = <T extends string>(xs: T[]) => [...new Set(xs)].sort();
  return {
    models: uniq(events.map((e) => modelOf(e.target))),
    actors: uniq(events.map((e) => e.actor)),
    actions: uniq(events.map((e) => e.action)),
  };
}

/** An action in words: `rollback_requested` → "rollback requested". */
export function actionLabel(action: AuditAction): string {
  return action.replace(/_/g, ' ');
}

/** What is wrong with a bad event, in words. */
export function problemText(problem: AuditProblem): string {
  switch (problem) {
    case 'edited':
      return 'its contents were changed after it was written (the hash no longer matches)';
    case 'broken_link':
      return 'it does not link to the event before it (an event was removed or replaced)';
    case 'gap':
      return 'its sequence number skips (events are missing)';
  }
}

/** The start of a hash, enough to compare by eye. */
export function shortHash(hash: string, n = 12): string {
  return hash.length > n ? `${hash.slice(0, n)}…` : hash;
}

/** The verification's result in one sentence. */
export function verificationText(v: Verification): string {
  if (v.first_bad === null) {
    const n = v.events === 1 ? '1 event' : `${v.events} events`;
    return `Intact: ${n}, head ${shortHash(v.head)}`;
  }
  return `Broken at event #${v.first_bad.seq}: ${problemText(v.first_bad.problem)}`;
}
