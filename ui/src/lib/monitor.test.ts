import { describe, expect, it } from 'vitest';

import type { MonitorView } from './api/bindings';
import { formatValue, latestTable, sourceText } from './monitor';

function view(): MonitorView {
  return {
    model: 'churn',
    source: 'prometheus',
    from: 0,
    to: 3_600_000,
    versions: ['4', '5'],
    series: [
      { signal: 'latency_p95', version: '4', points: [{ at: 1, value: 0.1 }, { at: 2, value: 0.2 }] },
      { signal: 'latency_p95', version: '5', points: [{ at: 1, value: 0.3 }, { at: 2, value: null }] },
      { signal: 'error_rate', version: '5', points: [{ at: 2, value: 0.1 }] },
    ],
    missing: [],
    drift: null,
    quality: [],
  };
}

describe('monitor', () => {
  it('formats values in the unit people read', () => {
    expect(formatValue('seconds', 0.1825)).toBe('182.5 ms');
    expect(formatValue('ratio', 0.02)).toBe('2 %');
    expect(formatValue('bytes', 512 * 1_048_576)).toBe('512 MiB');
    expect(formatValue('per_second', 31.25)).toBe('31.3 /s');
    expect(formatValue('count', null)).toBe('–');
    expect(formatValue('cores', Number.NaN)).toBe('–');
  });

  it('shows the latest finite value per version, and a dash where there is none', () => {
    const rows = latestTable(view());
    expect(rows.map((r) => r.version)).toEqual(['4', '5']);
    expect(rows[0]?.cells.latency_p95).toBe('200 ms');
    expect(rows[1]?.cells.latency_p95).toBe('300 ms');
    expect(rows[0]?.cells.error_rate).toBe('–');
    expect(rows[1]?.cells.error_rate).toBe('10 %');
  });

  it('says where the signals come from', () => {
    expect(sourceText(view())).toBe('from Prometheus');
    expect(sourceText({ ...view(), source: 'serving_stream' })).toContain('serving stream');
  });
});
