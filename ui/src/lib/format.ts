// How the panel writes numbers and times. Numbers follow the Rust side (`gate::fmt_num`), so the
// panel, the CLI and the exported diagram show the same digits for the same reading.
import type { Timestamp } from './api/bindings';

/** Integers without decimals, other numbers with at most four decimals and no trailing zeros. */
export function formatNumber(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(Math.trunc(v) || 0);
  if (!Number.isFinite(v)) return String(v);
  const fixed = v.toFixed(4);
  return fixed.replace(/0+$/, '').replace(/\.$/, '');
}

/** A reading's value, or an em dash when none was read. */
export function formatValue(v: number | null): string {
  return v === null ? '—' : formatNumber(v);
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * How long before `now` the moment `at` was, in words: "just now", "24 min ago", "3 h ago",
 * "2 days ago". A moment after `now` (clock skew) reads "in the future" rather than a negative age.
 */
export function relativeAge(at: Timestamp, now: Timestamp): string {
  const ms = now - at;
  if (ms < -MINUTE) return 'in the future';
  if (ms < MINUTE) return 'just now';
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)} min ago`;
  if (ms < DAY) return `${Math.floor(ms / HOUR)} h ago`;
  const days = Math.floor(ms / DAY);
  return days === 1 ? '1 day ago' : `${days} days ago`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** An absolute time in the viewer's time zone: `2025-11-26 16:10:05`. */
export function formatTimestamp(at: Timestamp): string {
  const d = new Date(at);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** A clock time for the header: `16:10:05`. */
export function formatClock(at: Timestamp): string {
  const d = new Date(at);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/**
 * What a view says when a read failed but it still shows older data: "Showing what was read
 * 5 min ago." — null when there is nothing older to show.
 */
export function staleNote(loadedAt: Timestamp | null, now: Timestamp): string | null {
  return loadedAt === null ? null : `Stale: showing what was read ${relativeAge(loadedAt, now)}.`;
}
