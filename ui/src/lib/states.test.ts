import { describe, expect, it } from 'vitest';

import type { GateState } from './api/bindings';
import {
  countGates,
  GATE_LOOKS,
  GATE_STATES,
  gateAriaLabel,
  needsAttention,
  outcomeTone,
  summarizeGates,
} from './states';

const gates = (...states: GateState[]) => states.map((state) => ({ state }));

describe('gate looks', () => {
  it('gives every state its own glyph and colour variable', () => {
    expect(GATE_LOOKS.blocked).toMatchObject({ glyph: '✕', color: 'var(--gate-blocked)' });
    expect(GATE_LOOKS.pending).toMatchObject({ glyph: '…', color: 'var(--gate-pending)' });
    expect(GATE_LOOKS.passed).toMatchObject({ glyph: '✓', color: 'var(--gate-passed)' });
    expect(GATE_LOOKS.overridden).toMatchObject({ glyph: '!', color: 'var(--gate-overridden)' });
    expect(GATE_LOOKS.unknown).toMatchObject({ glyph: '?', color: 'var(--gate-unknown)' });
    const glyphs = new Set(Object.values(GATE_LOOKS).map((l) => l.glyph));
    expect(glyphs.size).toBe(5);
  });

  it('lists each state once', () => {
    expect([...GATE_STATES].sort()).toEqual(Object.keys(GATE_LOOKS).sort());
  });
});

describe('counts per state', () => {
  it('counts every state, zero when absent', () => {
    expect(countGates(gates('blocked', 'passed', 'passed'))).toEqual({
      blocked: 1,
      pending: 0,
      unknown: 0,
      overridden: 0,
      passed: 2,
    });
  });

  it('summarizes worst first and leaves out empty states', () => {
    expect(summarizeGates(gates('passed', 'unknown', 'blocked', 'pending', 'passed'))).toBe(
      '1 blocked · 1 pending · 1 unknown · 2 passed',
    );
    expect(summarizeGates(gates('overridden', 'passed'))).toBe('1 overridden · 1 passed');
    expect(summarizeGates([])).toBe('no gates');
  });
});

describe('gateAriaLabel', () => {
  it('names the gate and its state', () => {
    expect(gateAriaLabel('Data quality', 'blocked')).toBe('Data quality gate: blocked');
  });

  it('does not say gate twice', () => {
    expect(gateAriaLabel('Release gate', 'passed')).toBe('Release gate: passed');
  });
});

describe('outcomeTone', () => {
  it('colours unmet checks by whether they block', () => {
    expect(outcomeTone('unmet', true)).toBe('blocked');
    expect(outcomeTone('unmet', false)).toBe('pending');
  });

  it('colours met green and missing or stale grey', () => {
    expect(outcomeTone('met', true)).toBe('passed');
    expect(outcomeTone('missing', true)).toBe('unknown');
    expect(outcomeTone('stale', false)).toBe('unknown');
  });
});

describe('needsAttention', () => {
  it('is true for every state but passed', () => {
    expect(GATE_STATES.filter(needsAttention)).toEqual(['blocked', 'pending', 'unknown', 'overridden']);
  });
});
