// The drills' words and numbers for the Learn view and the drill banner, and the debrief kept
// across the reload that switches the panel back from a drill copy.
import type { ActionMark, AuditAction, Debrief, DrillCard, DrillOutcome, Evidence } from './api/bindings';

/** Seconds as `m:ss` (`h:mm:ss` past an hour). */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n: number) => String(n).padStart(2, '0');
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

export function outcomeLabel(outcome: DrillOutcome): string {
  switch (outcome) {
    case 'passed':
      return 'passed';
    case 'incomplete':
      return 'runbook incomplete';
    case 'gave_up':
      return 'given up';
    case 'in_progress':
      return 'in progress';
  }
}

export function markLabel(mark: ActionMark): string {
  switch (mark) {
    case 'expected':
      return 'expected';
    case 'out_of_order':
      return 'out of order';
    case 'unexpected':
      return 'unexpected';
  }
}

/** An audit action in words: `rollback_requested` → "rollback requested". */
export function actionWords(action: AuditAction): string {
  return action.replace(/_/g, ' ');
}

/** A card's best result in one line, or how to start. */
export function bestText(card: DrillCard): string {
  const b = card.best;
  if (b === null) return 'Not played yet';
  const runs = card.runs === 1 ? '1 run' : `${card.runs} runs`;
  return `Best: ${b.score} / 100, ${outcomeLabel(b.outcome)} in ${clock(b.seconds)} · ${runs}`;
}

const DEBRIEF_KEY = 'gatehouse.drill.debrief';

/** Keeps the debrief across the reload that shows the workspace again. */
export function keepDebrief(storage: Storage, debrief: Debrief): void {
  storage.setItem(DEBRIEF_KEY, JSON.stringify(debrief));
}

/** The debrief kept by the last finish, until [`forgetDebrief`]. */
export function keptDebrief(storage: Storage): Debrief | null {
  const text = storage.getItem(DEBRIEF_KEY);
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as Debrief;
    return Array.isArray(value.actions) && typeof value.score === 'number' ? value : null;
  } catch {
    return null;
  }
}

/** Forgets the kept debrief (the person closed it). */
export function forgetDebrief(storage: Storage): void {
  storage.removeItem(DEBRIEF_KEY);
}

/**
 * Reloads the panel on `view`, so that every view follows the workspace the shell now shows from a
 * fresh start. The location changes without a `hashchange`, so no view mounts on the old page.
 */
export function reloadOn(view: string): void {
  history.replaceState(null, '', `#${view}`);
  window.location.reload();
}

/** The batches that failing checks of a gate read, from sources such as `batch:2026-11-26T14`. */
export function failingBatches(evidence: readonly Evidence[]): string[] {
  const batches = evidence
    .filter((e) => e.outcome === 'unmet' && e.source !== null && e.source.startsWith('batch:'))
    .map((e) => (e.source ?? '').slice('batch:'.length));
  return [...new Set(batches)];
}

/** The folder name of a drill copy's directory (`…/drills/canary-rollback-1795…` → its last part). */
export function copyName(dir: string): string {
  const parts = dir.split(/[\\/]/).filter((p) => p !== '');
  return parts[parts.length - 1] ?? '';
}
