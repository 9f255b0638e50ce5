// The Drift view's logic, free of Svelte and Tauri: which features come first, the header's
// summary, how scores and shares are written, when a missing-value rate has jumped, and the data
// URLs the chart images are shown through (the CSP allows `img-src data:`; no `{@html}`).
import type { ChartMark, DriftBoard, DriftPoint, FeatureDrift } from './drift-types';
import { formatNumber, formatTimestamp } from './format';

/** The charts drawn per feature. */
export type ChartKind = 'score' | 'histogram';

/**
 * The board a Drift view shows: the feed's step it came from and the method it was seen through
 * (`null`: the policy's), which is what the shell needs to draw its charts again.
 */
export type ShownBoard = { seq: number; method: string | null; board: DriftBoard };

/** How far toward (below 1) or past (above 1) its threshold a score stands, as the heatmap's cap. */
export const RATIO_CAP = 4;

/**
 * A rise in the missing-value rate worth a warning: at least 5 points, or a doubling of at least
 * 2 points. Evidently drops missing values before testing, so a jump from 10 % to 25 % missing
 * scores as no drift; Gatehouse shows it beside the score instead.
 */
export const MISSING_JUMP_ABS = 0.05;
export const MISSING_JUMP_MIN = 0.02;

/** The feature's point in the latest window, if any. */
export function latestPoint(feature: FeatureDrift): DriftPoint | null {
  return feature.points.at(-1) ?? null;
}

/** Whether the feature drifted in the latest window. */
export function driftingNow(feature: FeatureDrift): boolean {
  return latestPoint(feature)?.drifted ?? false;
}

/**
 * How far toward or past its threshold a score is, capped at `RATIO_CAP`: `score / threshold` for
 * distances, `threshold / score` for p-values; null when the score is not a number (the same rule
 * as the Rust heatmap).
 */
export function thresholdRatio(score: number | null, threshold: number | null, isTest: boolean): number | null {
  if (typeof score !== 'number' || typeof threshold !== 'number') return null;
  if (Number.isNaN(score) || Number.isNaN(threshold)) return null;
  let r: number;
  if (isTest) r = score <= 0 ? RATIO_CAP : threshold / score;
  else if (threshold <= 0) r = score > 0 ? RATIO_CAP : 0;
  else r = score / threshold;
  if (Number.isNaN(r)) return 0;
  return Math.min(Math.max(r, 0), RATIO_CAP);
}

/** The latest window's ratio for a feature, or null without a finite score there. */
export function latestRatio(feature: FeatureDrift): number | null {
  const p = latestPoint(feature);
  return p === null ? null : thresholdRatio(p.score, feature.threshold, feature.is_test);
}

/**
 * Features in the order the view lists them: drifting in the latest window first, then the
 * closest to (or furthest past) their threshold, features without a score last, ties by name.
 */
export function sortFeatures(features: readonly FeatureDrift[]): FeatureDrift[] {
  return [...features].sort((a, b) => {
    const d = Number(driftingNow(b)) - Number(driftingNow(a));
    if (d !== 0) return d;
    const ra = latestRatio(a);
    const rb = latestRatio(b);
    if (ra !== rb) {
      if (ra === null) return 1;
      if (rb === null) return -1;
      return rb - ra;
    }
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
}

/** A share (0‥1) as a percentage with at most one decimal: `0.5` → `50 %`, `0.125` → `12.5 %`. */
export function formatShare(share: number | null): string {
  if (typeof share !== 'number' || !Number.isFinite(share)) return '—';
  return `${formatNumber(Math.round(share * 1000) / 10)} %`;
}

/**
 * A score as the cards write it: distances and ordinary p-values with up to four decimals, tiny
 * p-values in scientific notation (`3.2e-7`) rather than a misleading `0`.
 */
export function formatScore(score: number | null): string {
  if (typeof score !== 'number' || Number.isNaN(score)) return '—';
  if (!Number.isFinite(score)) return score > 0 ? '∞' : '−∞';
  if (score !== 0 && Math.abs(score) < 0.0001) return score.toExponential(1);
  return formatNumber(score);
}

/** What the threshold means for the method: the direction of drift. */
export function directionText(feature: FeatureDrift): string {
  return feature.is_test ? 'p-value; drift when ≤ threshold' : 'distance; drift when ≥ threshold';
}

export type BoardSummary = {
  /** Features drifting in the latest window. */
  drifting: number;
  /** Features monitored. */
  total: number;
  /** The latest window's share of drifting features, if there is a window. */
  share: number | null;
  /** Whether the latest window is dataset drift by the policy's share. */
  datasetDrift: boolean;
  /** The header line: "2 of 6 features drifting · dataset drift at 50 %". */
  text: string;
};

/** The header's summary of the latest window against the policy's dataset-drift share. */
export function summarize(board: DriftBoard): BoardSummary {
  const total = board.features.length;
  const drifting = board.features.filter(driftingNow).length;
  const latest = board.windows.at(-1) ?? null;
  const at = `dataset drift at ${formatShare(board.drift_share)}`;
  if (latest === null) {
    return { drifting: 0, total, share: null, datasetDrift: false, text: `no windows yet · ${at}` };
  }
  const noun = total === 1 ? 'feature' : 'features';
  return {
    drifting,
    total,
    share: latest.share_drifted,
    datasetDrift: latest.dataset_drift,
    text: `${drifting} of ${total} ${noun} drifting · ${at}`,
  };
}

export type MissingRates = {
  reference: number;
  latest: number | null;
  /** Whether the latest window's rate rose enough to warn about (see `MISSING_JUMP_ABS`). */
  jumped: boolean;
};

/** The missing-value rate of the reference against the latest window's. */
export function missingRates(feature: FeatureDrift): MissingRates {
  const reference = Number.isFinite(feature.reference_missing_share) ? feature.reference_missing_share : 0;
  const raw = latestPoint(feature)?.missing_share;
  const latest = typeof raw === 'number' && Number.isFinite(raw) ? raw : null;
  if (latest === null) return { reference, latest, jumped: false };
  const rise = latest - reference;
  const jumped = rise >= MISSING_JUMP_ABS - 1e-12 || (latest >= 2 * reference && rise >= MISSING_JUMP_MIN - 1e-12);
  return { reference, latest, jumped };
}

/** An SVG document as a `data:` URL for an `<img>`. */
export function svgDataUrl(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

/** The key of one chart in the view's cache. */
export function chartKey(feature: string, chart: ChartKind): string {
  return `${chart}\u0000${feature}`;
}

/** A chart as shown: the last good image, the generation that drew it, and the last error. */
export type ChartSlot = { url: string | null; gen: number; error: string | null };

export type ChartCache = Record<string, ChartSlot>;

/**
 * The cache after a render of generation `gen` finished for `key`. An answer older than what is
 * shown is dropped (a slow render never overwrites a newer one); an error keeps the last image.
 */
export function settleChart(
  cache: ChartCache,
  key: string,
  gen: number,
  result: { ok: true; svg: string } | { ok: false; message: string },
): ChartCache {
  const slot = cache[key];
  if (slot !== undefined && slot.gen > gen) return cache;
  const next: ChartSlot = result.ok
    ? { url: svgDataUrl(result.svg), gen, error: null }
    : { url: slot?.url ?? null, gen, error: result.message };
  return { ...cache, [key]: next };
}

/** Whether every chart of `features` and the heatmap has been drawn or has failed. */
export function allSettled(features: readonly FeatureDrift[], cache: ChartCache, heatmapKey: string): boolean {
  const keys = [heatmapKey, ...features.flatMap((f) => [chartKey(f.name, 'score'), chartKey(f.name, 'histogram')])];
  return keys.every((k) => cache[k] !== undefined);
}

/** The methods a person can look through, as the shell names them (`null`: the policy's). */
export const DRIFT_METHODS: readonly { value: string | null; label: string }[] = [
  { value: null, label: "Policy's methods" },
  { value: 'ks', label: 'Kolmogorov–Smirnov (p-value)' },
  { value: 'chisquare', label: 'Chi-square (p-value)' },
  { value: 'z', label: 'Z-test (p-value)' },
  { value: 'wasserstein', label: 'Wasserstein, normed' },
  { value: 'jensenshannon', label: 'Jensen–Shannon' },
  { value: 'psi', label: 'PSI' },
  { value: 'kl', label: 'Kullback–Leibler' },
  { value: 'hellinger', label: 'Hellinger' },
];

/** The windows a person can pick, newest first; `null` follows the latest window. */
export function windowChoices(board: DriftBoard): { value: number | null; label: string }[] {
  const windows = board.windows.map((w, i) => ({ value: i as number | null, label: `ending ${formatTimestamp(w.end)}` }));
  return [{ value: null, label: 'Latest window' }, ...windows.reverse()];
}

/** The picked window if it exists on this board, else null (the latest). */
export function validWindow(board: DriftBoard, window: number | null): number | null {
  return window !== null && window >= 0 && window < board.windows.length ? window : null;
}

/** The feature's point in the picked window, or in the latest one. */
export function pointAt(feature: FeatureDrift, window: number | null): DriftPoint | null {
  return window === null ? latestPoint(feature) : (feature.points[window] ?? null);
}

/** "drifting since 14:20 UTC" from the feature's onset, or null when it does not drift now. */
export function onsetText(feature: FeatureDrift): string | null {
  return feature.onset === null ? null : `drifting since ${formatTimestamp(feature.onset)}`;
}

/** The mark nearest to `x` (image pixels) on a chart drawn `scale` times its own size, if any
 * lies within `reach` image pixels. */
export function nearestMark(marks: readonly ChartMark[], x: number, scale: number, reach = 24): ChartMark | null {
  let best: ChartMark | null = null;
  let bestDistance = Infinity;
  for (const m of marks) {
    const d = Math.abs(m.x * scale - x);
    if (d < bestDistance) {
      best = m;
      bestDistance = d;
    }
  }
  return bestDistance <= reach ? best : null;
}

/** What the hover read-out says about one window of a feature. */
export function readout(feature: FeatureDrift, window: number): string | null {
  const p = feature.points[window];
  if (p === undefined) return null;
  const kind = feature.is_test ? 'p-value' : feature.method;
  const verdict = p.drifted ? 'drift' : 'no drift';
  return `window ending ${formatTimestamp(p.at)} · ${kind} ${formatScore(p.score)} · ${verdict}`;
}
