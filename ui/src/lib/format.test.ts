import { describe, expect, it } from 'vitest';

import { formatNumber, formatTimestamp, formatValue, relativeAge, staleNote } from './format';

describe('formatNumber, like gate::fmt_num on the Rust side', () => {
  const check = (v: number, expected: string) => expect(formatNumber(v)).toBe(expected);

  it('writes integers without decimals', () => {
    check(3, '3');
    check(184, '184');
    check(-12, '-12');
    check(0, '0');
    check(-0, '0');
  });

  it('writes other numbers with at most four decimals and no trailing zeros', () => {
    check(0.1 + 0.2, '0.3');
    check(0.8412, '0.8412');
    check(-0.005, '-0.005');
    check(0.021, '0.021');
    check(1.5, '1.5');
    check(0.123456, '0.1235');
    check(2.00001, '2');
  });

  it('writes an absent value as a dash', () => {
    expect(formatValue(null)).toBe('—');
    expect(formatValue(0.25)).toBe('0.25');
  });
});

describe('relativeAge', () => {
  const now = 1_795_709_611_485;
  const minutes = (m: number) => now - m * 60_000;

  it('says just now under a minute', () => {
    expect(relativeAge(now, now)).toBe('just now');
    expect(relativeAge(now - 59_000, now)).toBe('just now');
  });

  it('counts minutes, hours and days, rounding down', () => {
    expect(relativeAge(minutes(24), now)).toBe('24 min ago');
    expect(relativeAge(minutes(59.9), now)).toBe('59 min ago');
    expect(relativeAge(minutes(60), now)).toBe('1 h ago');
    expect(relativeAge(minutes(7 * 60 + 30), now)).toBe('7 h ago');
    expect(relativeAge(minutes(24 * 60), now)).toBe('1 day ago');
    expect(relativeAge(minutes(3 * 24 * 60 + 5), now)).toBe('3 days ago');
  });

  it('does not print a negative age for a reading from the future', () => {
    expect(relativeAge(now + 5 * 60_000, now)).toBe('in the future');
    // Small skew reads as now.
    expect(relativeAge(now + 10_000, now)).toBe('just now');
  });
});

describe('formatTimestamp', () => {
  it('writes a local date and time with zero padding', () => {
    const at = new Date(2026, 0, 5, 7, 3, 9).getTime();
    expect(formatTimestamp(at)).toBe('2026-01-05 07:03:09');
  });
});

describe('staleNote', () => {
  it('says how old the data on screen is, or nothing when there is none', () => {
    const now = 1_800_000_000_000;
    expect(staleNote(null, now)).toBeNull();
    expect(staleNote(now - 5 * 60_000, now)).toBe('Stale: showing what was read 5 min ago.');
  });
});
