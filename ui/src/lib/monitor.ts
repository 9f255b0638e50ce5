// The Monitor view's pure parts: the ranges it offers, the charts it draws in which layer, and
// the latest value of every signal per version in words.
import type { MonitorView, SignalSeries, SystemSignal, Unit } from './api/bindings';

/** The time ranges offered, in minutes. */
export const RANGES: readonly { minutes: number; label: string }[] = [
  { minutes: 60, label: '1 h' },
  { minutes: 180, label: '3 h' },
  { minutes: 360, label: '6 h' },
  { minutes: 1440, label: '24 h' },
  { minutes: 4320, label: '3 d' },
];

/** The range shown first for the demo's serving stream, whose windows are an hour each. */
export const DEMO_RANGE = 1440;

/** How often the view reads again while open (a workspace change reads at once, too). */
export const REFRESH_MS = 15_000;

/** The system charts, in the order shown. */
export const SYSTEM_CHARTS: readonly SystemSignal[] = [
  'latency_p50',
  'latency_p95',
  'latency_p99',
  'error_rate',
  'request_rate',
  'cpu',
  'memory',
  'queue',
];

/** The chart of the data layer: the share of drifting features per window. */
export const DRIFT_CHART = 'drift_share';

const UNITS: Record<SystemSignal, Unit> = {
  latency_p50: 'seconds',
  latency_p95: 'seconds',
  latency_p99: 'seconds',
  error_rate: 'ratio',
  request_rate: 'per_second',
  cpu: 'cores',
  memory: 'bytes',
  queue: 'count',
};

/** `value` in the words of its unit, as the charts' axes read. */
export function formatValue(unit: Unit, value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '–';
  const fixed = (v: number, digits: number) => {
    const f = 10 ** digits;
    return String(Math.round(v * f) / f);
  };
  switch (unit) {
    case 'seconds':
      return `${fixed(value * 1000, 1)} ms`;
    case 'ratio':
      return `${fixed(value * 100, 2)} %`;
    case 'per_second':
      return `${fixed(value, 1)} /s`;
    case 'cores':
      return `${fixed(value, 2)} cores`;
    case 'bytes':
      return `${fixed(value / 1_048_576, 0)} MiB`;
    case 'count':
      return fixed(value, 1);
  }
}

function latest(series: SignalSeries | undefined): number | null {
  if (series === undefined) return null;
  for (let i = series.points.length - 1; i >= 0; i--) {
    const v = series.points[i]?.value;
    if (v !== null && v !== undefined && Number.isFinite(v)) return v;
  }
  return null;
}

/** One row per version: the latest value of every system signal, in words. */
export function latestTable(view: MonitorView): { version: string; cells: Record<SystemSignal, string> }[] {
  return view.versions.map((version) => {
    const cells = {} as Record<SystemSignal, string>;
    for (const signal of SYSTEM_CHARTS) {
      const series = view.series.find((s) => s.signal === signal && s.version === version);
      cells[signal] = formatValue(UNITS[signal], latest(series));
    }
    return { version, cells };
  });
}

/** Where the signals come from, in words. */
export function sourceText(view: MonitorView): string {
  return view.source === 'prometheus'
    ? 'from Prometheus'
    : "from the workspace's own serving stream (no Prometheus connected)";
}

/** Column titles of the latest-values table. */
export const TITLES: Record<SystemSignal, string> = {
  latency_p50: 'p50',
  latency_p95: 'p95',
  latency_p99: 'p99',
  error_rate: 'errors',
  request_rate: 'requests',
  cpu: 'CPU',
  memory: 'memory',
  queue: 'queue',
};
