// What each gate and stage state looks like: its word, its glyph in the stop node and the colour
// variable the theme defines for it. Exhaustive records, so a new state in the Rust enum fails the
// type check here instead of falling through to a default.
import type { CheckOutcome, GateState, GateStatus, StageState } from './api/bindings';

export type GateLook = {
  /** The word people read. */
  label: string;
  /** A short white glyph drawn inside the octagon. */
  glyph: string;
  /** The CSS custom property holding the state's colour. */
  color: string;
};

export const GATE_LOOKS: Record<GateState, GateLook> = {
  blocked: { label: 'Blocked', glyph: '✕', color: 'var(--gate-blocked)' },
  pending: { label: 'Pending', glyph: '…', color: 'var(--gate-pending)' },
  passed: { label: 'Passed', glyph: '✓', color: 'var(--gate-passed)' },
  overridden: { label: 'Overridden', glyph: '!', color: 'var(--gate-overridden)' },
  unknown: { label: 'Unknown', glyph: '?', color: 'var(--gate-unknown)' },
};

/** Gate states in the order the legend and the summary list them: the worst first. */
export const GATE_STATES: readonly GateState[] = [
  'blocked',
  'pending',
  'unknown',
  'overridden',
  'passed',
];

export type StageLook = { label: string; color: string; hint: string };

export const STAGE_LOOKS: Record<StageState, StageLook> = {
  open: { label: 'Open', color: 'var(--stage-open)', hint: 'work flows through' },
  held: { label: 'Held', color: 'var(--stage-held)', hint: 'held by a blocked gate' },
  waiting: { label: 'Waiting', color: 'var(--stage-waiting)', hint: 'waiting on a gate' },
  unknown: { label: 'Unknown', color: 'var(--stage-unknown)', hint: 'state not known' },
};

/** How many gates are in each state; every state is present, zero when none. */
export function countGates(gates: readonly Pick<GateStatus, 'state'>[]): Record<GateState, number> {
  const counts: Record<GateState, number> = {
    blocked: 0,
    pending: 0,
    unknown: 0,
    overridden: 0,
    passed: 0,
  };
  for (const g of gates) counts[g.state] += 1;
  return counts;
}

/** The counts in words, worst first, leaving out states with no gate: "1 blocked · 2 passed". */
export function summarizeGates(gates: readonly Pick<GateStatus, 'state'>[]): string {
  const counts = countGates(gates);
  const parts = GATE_STATES.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  return parts.length === 0 ? 'no gates' : parts.join(' · ');
}

/** What a screen reader hears for a gate: "Data quality gate: blocked". */
export function gateAriaLabel(title: string, state: GateState): string {
  const name = /\bgate$/i.test(title.trim()) ? title.trim() : `${title.trim()} gate`;
  return `${name}: ${state}`;
}

/**
 * Which gate colour a check's outcome is drawn in: met is green; unmet is red when it blocks and
 * amber when it only leaves the gate pending; missing and stale readings are grey, like an
 * unknown gate, because nothing current is known.
 */
export function outcomeTone(outcome: CheckOutcome, blocking: boolean): GateState {
  switch (outcome) {
    case 'met':
      return 'passed';
    case 'unmet':
      return blocking ? 'blocked' : 'pending';
    case 'missing':
    case 'stale':
      return 'unknown';
  }
}

/** Whether a gate needs someone's attention: anything but passed. */
export function needsAttention(state: GateState): boolean {
  switch (state) {
    case 'passed':
      return false;
    case 'blocked':
    case 'pending':
    case 'overridden':
    case 'unknown':
      return true;
  }
}
