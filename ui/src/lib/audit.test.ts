import { describe, expect, it } from 'vitest';

import type { AuditAction, AuditEvent } from './api/bindings';
import { actionLabel, facets, filterEvents, modelOf, NO_FILTER, problemText, shortHash, verificationText } from './audit';

function event(seq: number, actor: string, action: AuditAction, target: string): AuditEvent {
  return {
    seq,
    at: seq * 1000,
    actor,
    action,
    target,
    before: null,
    after: null,
    reason: null,
    response: null,
    request: null,
    prev_hash: '0',
    hash: `h${seq}`,
  };
}

const events = [
  event(1, 'ann', 'requested', 'churn@production'),
  event(2, 'bob', 'approved', 'churn@production'),
  event(3, 'bob', 'requested', 'fraud@staging'),
  event(4, 'cat', 'denied', 'fraud'),
];

describe('modelOf', () => {
  it('takes the part before @', () => {
    expect(modelOf('churn@production')).toBe('churn');
    expect(modelOf('fraud')).toBe('fraud');
  });
});

describe('filterEvents', () => {
  it('returns everything newest first without filters', () => {
    expect(filterEvents(events, NO_FILTER).map((e) => e.seq)).toEqual([4, 3, 2, 1]);
  });

  it('combines model, user and action', () => {
    expect(filterEvents(events, { ...NO_FILTER, model: 'fraud' }).map((e) => e.seq)).toEqual([4, 3]);
    expect(filterEvents(events, { ...NO_FILTER, actor: 'bob' }).map((e) => e.seq)).toEqual([3, 2]);
    expect(filterEvents(events, { model: 'churn', actor: 'bob', action: 'approved' }).map((e) => e.seq)).toEqual([2]);
    expect(filterEvents(events, { model: 'churn', actor: 'cat', action: null })).toEqual([]);
  });

  it('does not reorder its input', () => {
    filterEvents(events, NO_FILTER);
    expect(events[0]?.seq).toBe(1);
  });
});

describe('facets', () => {
  it('lists the distinct values, sorted', () => {
    expect(facets(events)).toEqual({
      models: ['churn', 'fraud'],
      actors: ['ann', 'bob', 'cat'],
      actions: ['approved', 'denied', 'requested'],
    });
  });
});

describe('words', () => {
  it('labels actions and shortens hashes', () => {
    expect(actionLabel('rollback_requested')).toBe('rollback requested');
    expect(shortHash('abcdef0123456789')).toBe('abcdef012345…');
    expect(shortHash('abc')).toBe('abc');
  });

  it('says what the verification found', () => {
    expect(verificationText({ events: 12, head: 'abcdef0123456789', first_bad: null })).toBe(
      'Intact: 12 events, head abcdef012345…',
    );
    expect(verificationText({ events: 12, head: 'x', first_bad: { seq: 7, problem: 'edited' } })).toMatch(
      /^Broken at event #7: its contents were changed/,
    );
    expect(problemText('gap')).toMatch(/missing/);
    expect(problemText('broken_link')).toMatch(/removed or replaced/);
  });
});
