// The Alerts view's logic: order, grouping by owner, "mine", how ages and time left read, and how
// each severity and state looks. Pure functions over the generated types, so they are tested
// without a window.
import type { Acknowledgement, Alert, AlertState, GateState, Owner, Role, Session, Severity, Timestamp, UserName } from './api/bindings';
import { formatClock } from './format';

/** Where an alert stands, most pressing first. */
const STATE_RANK: Record<AlertState, number> = { firing: 0, acknowledged: 1, resolved: 2 };

/** How urgent, most urgent first. */
const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2, unknown: 3 };

/** Each severity drawn in one of the gate colours (the `chip tone-*` classes). */
export const SEVERITY_TONE: Record<Severity, GateState | 'accent'> = {
  critical: 'blocked',
  warning: 'pending',
  info: 'accent',
  unknown: 'unknown',
};

/** Each state drawn in one of the gate colours: firing red, silenced violet, resolved green. */
export const ALERT_STATE_TONE: Record<AlertState, GateState> = {
  firing: 'blocked',
  acknowledged: 'overridden',
  resolved: 'passed',
};

/** Compares two alerts: firing first, then the most severe, then the oldest (firing longest). */
export function compareAlerts(a: Alert, b: Alert): number {
  return (
    STATE_RANK[a.state] - STATE_RANK[b.state] ||
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    a.since - b.since ||
    a.name.localeCompare(b.name) ||
    a.id.localeCompare(b.id)
  );
}

/** The alerts in the order `compareAlerts` gives, as a new array. */
export function sortAlerts(alerts: readonly Alert[]): Alert[] {
  return [...alerts].sort(compareAlerts);
}

/** How many alerts stand in each state. */
export function countAlerts(alerts: readonly Alert[]): Record<AlertState, number> {
  const counts: Record<AlertState, number> = { firing: 0, acknowledged: 0, resolved: 0 };
  for (const a of alerts) counts[a.state] += 1;
  return counts;
}

/** The `data-owner` of the group of alerts no owner was found for. */
export const UNOWNED = 'unowned';

/** The alerts of one owner (or of none), sorted, with their counts. */
export type AlertGroup = {
  /** The owner's id, or `UNOWNED`. */
  key: string;
  /** The owner, or null for the unowned group. */
  owner: Owner | null;
  alerts: Alert[];
  counts: Record<AlertState, number>;
};

/**
 * The alerts grouped by owner. The unowned group comes first, since an alert nobody owns is a
 * problem in itself; the owners follow by their most pressing alert (then by name). Within a group,
 * alerts follow `compareAlerts`.
 */
export function groupByOwner(alerts: readonly Alert[]): AlertGroup[] {
  const groups = new Map<string, AlertGroup>();
  for (const a of sortAlerts(alerts)) {
    const key = a.owner?.id ?? UNOWNED;
    let g = groups.get(key);
    if (g === undefined) {
      g = { key, owner: a.owner, alerts: [], counts: { firing: 0, acknowledged: 0, resolved: 0 } };
      groups.set(key, g);
    }
    g.alerts.push(a);
    g.counts[a.state] += 1;
  }
  return [...groups.values()].sort((x, y) => {
    if ((x.owner === null) !== (y.owner === null)) return x.owner === null ? -1 : 1;
    const [ax, ay] = [x.alerts[0], y.alerts[0]];
    const first = ax !== undefined && ay !== undefined ? compareAlerts(ax, ay) : 0;
    return first || (x.owner?.name ?? '').localeCompare(y.owner?.name ?? '') || x.key.localeCompare(y.key);
  });
}

/** The owners (by id) among the alerts' owners that `user` is a member of. */
export function ownersOf(alerts: readonly Alert[], user: UserName): Set<string> {
  const mine = new Set<string>();
  for (const a of alerts) {
    if (a.owner !== null && a.owner.members.includes(user)) mine.add(a.owner.id);
  }
  return mine;
}

/** The alerts owned by an owner `user` is a member of. */
export function mineOnly(alerts: readonly Alert[], user: UserName): Alert[] {
  return alerts.filter((a) => a.owner !== null && a.owner.members.includes(user));
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * A span of time in words, coarse enough to read at a glance: "under a minute", "24 min",
 * "1 h 30 min" (minutes only below three hours), "8 h", "1 day", "2 days 3 h".
 */
export function formatSpan(ms: number): string {
  if (!Number.isFinite(ms) || ms < MINUTE) return 'under a minute';
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)} min`;
  if (ms < DAY) {
    const h = Math.floor(ms / HOUR);
    const min = Math.floor((ms % HOUR) / MINUTE);
    return h < 3 && min > 0 ? `${h} h ${min} min` : `${h} h`;
  }
  const days = Math.floor(ms / DAY);
  const h = Math.floor((ms % DAY) / HOUR);
  const d = days === 1 ? '1 day' : `${days} days`;
  return days < 3 && h > 0 ? `${d} ${h} h` : d;
}

/** How old an alert is, by its state: "firing for 8 h", "resolved; fired for 2 h" reads its start. */
export function alertAge(alert: Pick<Alert, 'state' | 'since'>, now: Timestamp): string {
  const span = formatSpan(Math.max(0, now - alert.since));
  switch (alert.state) {
    case 'firing':
    case 'acknowledged':
      return `firing for ${span}`;
    case 'resolved':
      return `resolved; started ${span} ago`;
  }
}

/** How long an acknowledgement still holds: "1 h 30 min left", or "expiring" once it ran out. */
export function timeLeft(ack: Pick<Acknowledgement, 'until'>, now: Timestamp): string {
  const ms = ack.until - now;
  return ms <= 0 ? 'expiring' : `${formatSpan(ms)} left`;
}

/** The labels worth showing as chips: all but `alertname` and `severity` (shown already), by name. */
export function labelChips(labels: Alert['labels']): [string, string][] {
  return Object.entries(labels)
    .filter(([k]) => k !== 'alertname' && k !== 'severity')
    .sort(([a], [b]) => a.localeCompare(b));
}

/** The roles that may acknowledge (DESIGN §2: an operator's duty, and every role above it). */
const ACKNOWLEDGERS: readonly Role[] = ['operator', 'approver', 'admin'];

/** Whether the acting user's roles allow acknowledging. The Rust side checks again. */
export function canAcknowledge(session: Pick<Session, 'roles'> | null): boolean {
  return session !== null && session.roles.some((r) => ACKNOWLEDGERS.includes(r));
}

/** The durations an acknowledgement may last, as the Rust side parses them. */
export const ACK_DURATIONS: readonly { value: string; label: string }[] = [
  { value: '30m', label: '30 minutes' },
  { value: '1h', label: '1 hour' },
  { value: '2h', label: '2 hours' },
  { value: '4h', label: '4 hours' },
  { value: '1d', label: '1 day' },
];

/** The message on an alert's card after a successful acknowledge or un-acknowledge. */
export function ackResultText(action: 'ack' | 'unack', alert: Pick<Alert, 'name' | 'acknowledgement'>, now: Timestamp): string {
  if (action === 'unack') return `${alert.name} is no longer acknowledged: it notifies again.`;
  const ack = alert.acknowledgement;
  if (ack === null) return `Acknowledged ${alert.name}.`;
  return `Acknowledged ${alert.name}: silenced for ${formatSpan(ack.until - now)}, until ${formatClock(ack.until)}.`;
}
