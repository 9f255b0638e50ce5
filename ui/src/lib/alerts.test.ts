import { describe, expect, it } from 'vitest';

import type { Alert, AlertState, Owner, Severity } from './api/bindings';
import {
  ACK_DURATIONS,
  ackResultText,
  alertAge,
  canAcknowledge,
  countAlerts,
  formatSpan,
  groupByOwner,
  labelChips,
  mineOnly,
  ownersOf,
  sortAlerts,
  timeLeft,
  UNOWNED,
} from './alerts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const NOW = 1_700_000_000_000;

function owner(id: string, members: string[], name = id): Owner {
  return { id, name, contact: `#${id}`, escalation: null, members } as Owner;
}

const DATA = owner('data-platform', ['dana'], 'Data platform');
const ONCALL = owner('ml-oncall', ['dana', 'marco'], 'ML on-call');
const MODELS = owner('churn-models', ['priya', 'sam'], 'Churn modelling');

function alert(id: string, o: Owner | null, state: AlertState = 'firing', severity: Severity = 'warning', since = NOW - HOUR): Alert {
  return {
    id,
    name: id,
    severity,
    owner: o,
    ownership: o === null ? 'unowned' : 'label',
    runbook: null,
    summary: null,
    state,
    since,
    acknowledgement: null,
    labels: {},
  };
}

describe('sortAlerts', () => {
  it('puts firing first, then the most severe, then the oldest', () => {
    const sorted = sortAlerts([
      alert('resolved-critical', DATA, 'resolved', 'critical'),
      alert('acked-critical', DATA, 'acknowledged', 'critical'),
      alert('firing-info', DATA, 'firing', 'info'),
      alert('firing-critical-new', DATA, 'firing', 'critical', NOW - MIN),
      alert('firing-critical-old', DATA, 'firing', 'critical', NOW - DAY),
      alert('firing-warning', DATA, 'firing', 'warning'),
    ]);
    expect(sorted.map((a) => a.id)).toEqual([
      'firing-critical-old',
      'firing-critical-new',
      'firing-warning',
      'firing-info',
      'acked-critical',
      'resolved-critical',
    ]);
  });

  it('counts the states', () => {
    expect(countAlerts([alert('a', DATA), alert('b', null, 'acknowledged'), alert('c', DATA)])).toEqual({
      firing: 2,
      acknowledged: 1,
      resolved: 0,
    });
  });
});

describe('groupByOwner', () => {
  it('groups by owner id, unowned first, then by the most pressing alert', () => {
    const groups = groupByOwner([
      alert('drift-1', ONCALL, 'firing', 'warning'),
      alert('gate', DATA, 'firing', 'critical'),
      alert('orphan', null, 'firing', 'info'),
      alert('drift-2', { ...ONCALL }, 'firing', 'critical', NOW - 2 * HOUR),
      alert('old', MODELS, 'resolved', 'critical'),
    ]);
    expect(groups.map((g) => g.key)).toEqual([UNOWNED, 'ml-oncall', 'data-platform', 'churn-models']);
    expect(groups[0]?.owner).toBeNull();
    expect(groups[1]?.alerts.map((a) => a.id)).toEqual(['drift-2', 'drift-1']);
    expect(groups[1]?.counts).toEqual({ firing: 2, acknowledged: 0, resolved: 0 });
    expect(groups[3]?.counts).toEqual({ firing: 0, acknowledged: 0, resolved: 1 });
  });

  it('orders owners whose alerts tie by name', () => {
    const groups = groupByOwner([alert('b', ONCALL), alert('a', DATA)]);
    expect(groups.map((g) => g.key)).toEqual(['data-platform', 'ml-oncall']);
  });

  it('gives no groups for no alerts', () => {
    expect(groupByOwner([])).toEqual([]);
  });
});

describe('mine', () => {
  const alerts = [alert('gate', DATA), alert('drift', ONCALL), alert('model', MODELS), alert('orphan', null)];

  it('finds the owners a user is a member of', () => {
    expect([...ownersOf(alerts, 'dana')].sort()).toEqual(['data-platform', 'ml-oncall']);
    expect([...ownersOf(alerts, 'marco')]).toEqual(['ml-oncall']);
    expect(ownersOf(alerts, 'erin').size).toBe(0);
  });

  it('keeps only the alerts of those owners', () => {
    expect(mineOnly(alerts, 'dana').map((a) => a.id)).toEqual(['gate', 'drift']);
    expect(mineOnly(alerts, 'sam').map((a) => a.id)).toEqual(['model']);
    expect(mineOnly(alerts, 'erin')).toEqual([]);
  });
});

describe('ages', () => {
  it('writes spans coarsely', () => {
    expect(formatSpan(0)).toBe('under a minute');
    expect(formatSpan(-5)).toBe('under a minute');
    expect(formatSpan(59_999)).toBe('under a minute');
    expect(formatSpan(24 * MIN)).toBe('24 min');
    expect(formatSpan(HOUR)).toBe('1 h');
    expect(formatSpan(HOUR + 30 * MIN)).toBe('1 h 30 min');
    expect(formatSpan(8 * HOUR + 30 * MIN)).toBe('8 h');
    expect(formatSpan(DAY)).toBe('1 day');
    expect(formatSpan(2 * DAY + 3 * HOUR)).toBe('2 days 3 h');
    expect(formatSpan(9 * DAY + 3 * HOUR)).toBe('9 days');
  });

  it('says how long an alert fires', () => {
    expect(alertAge({ state: 'firing', since: NOW - 8 * HOUR }, NOW)).toBe('firing for 8 h');
    expect(alertAge({ state: 'acknowledged', since: NOW - 20 * MIN }, NOW)).toBe('firing for 20 min');
    expect(alertAge({ state: 'resolved', since: NOW - 2 * DAY }, NOW)).toBe('resolved; started 2 days ago');
    expect(alertAge({ state: 'firing', since: NOW + HOUR }, NOW)).toBe('firing for under a minute');
  });

  it('says how long an acknowledgement holds', () => {
    expect(timeLeft({ until: NOW + 90 * MIN }, NOW)).toBe('1 h 30 min left');
    expect(timeLeft({ until: NOW }, NOW)).toBe('expiring');
  });
});

describe('cards', () => {
  it('shows labels but alertname and severity, by name', () => {
    expect(labelChips({ severity: 'critical', team: 'ml', alertname: 'X', gate: 'data-quality' })).toEqual([
      ['gate', 'data-quality'],
      ['team', 'ml'],
    ]);
  });

  it('lets operators and above acknowledge', () => {
    expect(canAcknowledge({ roles: ['operator'] })).toBe(true);
    expect(canAcknowledge({ roles: ['approver'] })).toBe(true);
    expect(canAcknowledge({ roles: ['admin'] })).toBe(true);
    expect(canAcknowledge({ roles: ['viewer'] })).toBe(false);
    expect(canAcknowledge({ roles: [] })).toBe(false);
    expect(canAcknowledge(null)).toBe(false);
  });

  it('offers the durations the Rust side parses', () => {
    expect(ACK_DURATIONS.map((d) => d.value)).toEqual(['30m', '1h', '2h', '4h', '1d']);
  });

  it('words the result of an action', () => {
    const a = alert('FeatureDrift', ONCALL, 'acknowledged');
    expect(ackResultText('unack', a, NOW)).toBe('FeatureDrift is no longer acknowledged: it notifies again.');
    expect(ackResultText('ack', a, NOW)).toBe('Acknowledged FeatureDrift.');
    const acked = { ...a, acknowledgement: { silence: 's', by: 'dana', reason: 'r', since: NOW, until: NOW + 2 * HOUR, remaining_ms: 2 * HOUR } };
    expect(ackResultText('ack', acked, NOW)).toMatch(/^Acknowledged FeatureDrift: silenced for 2 h, until \d\d:\d\d:\d\d\.$/);
  });
});
