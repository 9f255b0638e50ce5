import { describe, expect, it } from 'vitest';

import type { Debrief, DrillCard } from './api/bindings';
import { actionWords, bestText, clock, copyName, failingBatches, forgetDebrief, keepDebrief, keptDebrief } from './drills';

function memory(): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: (k) => items.get(k) ?? null,
    key: (i) => [...items.keys()][i] ?? null,
    removeItem: (k) => void items.delete(k),
    setItem: (k, v) => void items.set(k, v),
  };
}

const debrief: Debrief = {
  drill: 'canary-rollback',
  title: 'A canary',
  trainee: 'newbie',
  started_at: 0,
  finished_at: 30_000,
  seconds: 30,
  runbook: ['Roll back'],
  actions: [],
  missed: [],
  hints_used: 0,
  hints_total: 2,
  score: 100,
  outcome: 'passed',
};

describe('drills', () => {
  it('shows times as a clock', () => {
    expect(clock(0)).toBe('0:00');
    expect(clock(65)).toBe('1:05');
    expect(clock(3725)).toBe('1:02:05');
    expect(clock(-3)).toBe('0:00');
  });

  it('says the best result or that the drill was not played', () => {
    const card: DrillCard = { id: 'd', title: 't', goal: 'g', steps: 1, hints: 2, best: null, runs: 0 };
    expect(bestText(card)).toBe('Not played yet');
    const played: DrillCard = {
      ...card,
      runs: 2,
      best: { user: 'u', drill: 'd', finished_at: 0, seconds: 75, score: 85, hints: 1, outcome: 'passed' },
    };
    expect(bestText(played)).toBe('Best: 85 / 100, passed in 1:15 · 2 runs');
    expect(actionWords('rollback_requested')).toBe('rollback requested');
  });

  it('keeps a debrief across reloads until it is closed', () => {
    const storage = memory();
    expect(keptDebrief(storage)).toBeNull();
    keepDebrief(storage, debrief);
    expect(keptDebrief(storage)).toEqual(debrief);
    expect(keptDebrief(storage)).toEqual(debrief);
    forgetDebrief(storage);
    expect(keptDebrief(storage)).toBeNull();
    storage.setItem('gatehouse.drill.debrief', '{not json');
    expect(keptDebrief(storage)).toBeNull();
  });
});

describe('failingBatches', () => {
  it('names each batch an unmet check read, once', () => {
    const row = (outcome: 'met' | 'unmet', source: string | null) => ({
      check: 'c',
      description: '',
      signal: 's',
      expected: '',
      value: 1,
      outcome,
      blocking: true,
      read_at: 0,
      source,
      note: null,
    });
    expect(
      failingBatches([
        row('unmet', 'batch:b2'),
        row('unmet', 'batch:b2'),
        row('met', 'batch:b1'),
        row('unmet', 'run:churn-v6'),
        row('unmet', null),
      ]),
    ).toEqual(['b2']);
  });
});

describe('copyName', () => {
  it('is the last part of the copy directory, on any platform', () => {
    expect(copyName('/w/ws/drills/canary-rollback-1795')).toBe('canary-rollback-1795');
    expect(copyName('C:\\w\\drills\\schema-break-1\\')).toBe('schema-break-1');
    expect(copyName('')).toBe('');
  });
});
