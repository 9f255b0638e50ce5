// The Registry view's logic: which pointer is production, what points where, and how a version
// differs from the one in production (metrics with their direction, lineage).
import type { Model, ModelVersion, PointerName, VersionId } from './api/bindings';

/**
 * The pointer the panel treats as production: the one the policy names
 * (`promotion.production_pointer`, from the session) when the model has it; otherwise
 * `production`, then `prod`, then `champion`, then the first pointer by name; null for a model
 * without pointers.
 */
export function productionPointer(
  model: Pick<Model, 'pointers'>,
  named: PointerName | null = null,
): PointerName | null {
  const names = Object.keys(model.pointers);
  if (named !== null && names.includes(named)) return named;
  for (const preferred of ['production', 'prod', 'champion']) {
    if (names.includes(preferred)) return preferred;
  }
  return [...names].sort()[0] ?? null;
}

/** The pointers that point at `version`, production first, then by name. */
export function pointersAt(
  model: Pick<Model, 'pointers'>,
  version: VersionId,
  production: PointerName | null = productionPointer(model),
): PointerName[] {
  return Object.entries(model.pointers)
    .filter(([, v]) => v === version)
    .map(([p]) => p)
    .sort((a, b) => (a === production ? -1 : b === production ? 1 : a.localeCompare(b)));
}

/** A model's pointers as badges: production first, then by name. */
export function pointerBadges(
  model: Pick<Model, 'pointers'>,
  production: PointerName | null = productionPointer(model),
): { pointer: PointerName; version: VersionId; production: boolean }[] {
  return Object.entries(model.pointers)
    .map(([pointer, version]) => ({ pointer, version, production: pointer === production }))
    .sort((a, b) => (a.production ? -1 : b.production ? 1 : a.pointer.localeCompare(b.pointer)));
}

/** The version with id `version`, if the model has it. */
export function findVersion(model: Pick<Model, 'versions'>, version: VersionId | null): ModelVersion | null {
  if (version === null) return null;
  return model.versions.find((v) => v.version === version) ?? null;
}

/**
 * Whether lower values of a metric are better: `log_loss` and other losses and errors
 * (`loss`, `rmse`, `mae`, `mse`, `*_error`); every other metric is better higher.
 */
export function lowerIsBetter(metric: string): boolean {
  return /(^|_)(loss|rmse|mae|mse|error|brier)$/i.test(metric);
}

/** How a change reads: better, worse, unchanged, or not comparable (one side missing). */
export type DeltaTone = 'better' | 'worse' | 'same' | 'none';

export type MetricDiff = {
  metric: string;
  /** The chosen version's value. */
  value: number | null;
  /** The production version's value. */
  base: number | null;
  /** `value - base`, when both are known. */
  delta: number | null;
  tone: DeltaTone;
  lowerIsBetter: boolean;
};

/** The tone of going from `base` to `value` for `metric`. */
export function deltaTone(metric: string, value: number | null, base: number | null): DeltaTone {
  if (value === null || base === null || !Number.isFinite(value) || !Number.isFinite(base)) return 'none';
  if (value === base) return 'same';
  const up = value > base;
  return up !== lowerIsBetter(metric) ? 'better' : 'worse';
}

/** Every metric either version has, by name, with the change from `base` to `version`. */
export function diffMetrics(
  version: Pick<ModelVersion, 'metrics'>,
  base: Pick<ModelVersion, 'metrics'> | null,
): MetricDiff[] {
  const names = new Set([...Object.keys(version.metrics), ...Object.keys(base?.metrics ?? {})]);
  return [...names].sort().map((metric) => {
    const value = version.metrics[metric] ?? null;
    const b = base?.metrics[metric] ?? null;
    return {
      metric,
      value,
      base: b,
      delta: value !== null && b !== null ? value - b : null,
      tone: deltaTone(metric, value, b),
      lowerIsBetter: lowerIsBetter(metric),
    };
  });
}

/** A signed delta for people: "+0.0123", "−0.5", "0". */
export function formatDelta(delta: number, format: (v: number) => string): string {
  if (delta === 0) return '0';
  const text = format(Math.abs(delta));
  if (text === '0') return delta > 0 ? '+0' : '−0';
  return `${delta > 0 ? '+' : '−'}${text}`;
}

export type LineageRow = { field: string; value: string | null; base: string | null; changed: boolean };

/** Where two versions came from, side by side: run, data version and code commit. */
export function diffLineage(
  version: Pick<ModelVersion, 'run_id' | 'data_version' | 'code_commit'>,
  base: Pick<ModelVersion, 'run_id' | 'data_version' | 'code_commit'> | null,
): LineageRow[] {
  const rows: [string, string | null, string | null][] = [
    ['run', version.run_id, base?.run_id ?? null],
    ['data version', version.data_version, base?.data_version ?? null],
    ['code commit', version.code_commit, base?.code_commit ?? null],
  ];
  return rows.map(([field, value, b]) => ({ field, value, base: b, changed: base !== null && value !== b }));
}

/** The metrics worth showing in a summary: up to `n`, by name. */
export function keyMetrics(version: Pick<ModelVersion, 'metrics'>, n = 3): [string, number][] {
  return Object.entries(version.metrics)
    .sort(([a], [b]) => a.localeCompare(b))
    .slice(0, n);
}
