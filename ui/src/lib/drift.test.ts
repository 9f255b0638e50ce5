import { describe, expect, it } from 'vitest';

import {
  allSettled,
  chartKey,
  directionText,
  formatScore,
  formatShare,
  missingRates,
  nearestMark,
  onsetText,
  pointAt,
  RATIO_CAP,
  readout,
  settleChart,
  sortFeatures,
  summarize,
  svgDataUrl,
  thresholdRatio,
  validWindow,
  windowChoices,
  type ChartCache,
} from './drift';
import type { DriftBoard, FeatureDrift } from './drift-types';

const T0 = 1_795_000_000_000;

function feature(
  name: string,
  scores: number[],
  opts: { isTest?: boolean; threshold?: number; missing?: number[]; refMissing?: number; onset?: number } = {},
): FeatureDrift {
  const isTest = opts.isTest ?? false;
  const threshold = opts.threshold ?? (isTest ? 0.05 : 0.1);
  return {
    name,
    kind: isTest ? 'categorical' : 'numerical',
    method: isTest ? 'chisquare' : 'wasserstein',
    is_test: isTest,
    threshold,
    points: scores.map((score, i) => ({
      at: T0 + i * 600_000,
      value: score,
      p_value: isTest ? score : null,
      score,
      drifted: isTest ? score <= threshold : score >= threshold,
      missing_share: opts.missing?.[i] ?? 0,
      histogram: { labels: ['a'], reference: [1], current: [1] },
    })),
    histogram: { labels: ['a'], reference: [1], current: [1] },
    reference_missing_share: opts.refMissing ?? 0,
    onset: opts.onset ?? null,
  };
}

function board(features: FeatureDrift[], shares: number[], driftShare = 0.5): DriftBoard {
  return {
    model: 'churn',
    features,
    windows: shares.map((s, i) => ({
      start: T0 + (i - 1) * 600_000,
      end: T0 + i * 600_000,
      share_drifted: s,
      dataset_drift: s >= driftShare,
    })),
    drift_share: driftShare,
  };
}

describe('thresholdRatio', () => {
  const check = (score: number | null, threshold: number, isTest: boolean, expected: number | null) =>
    expect(thresholdRatio(score, threshold, isTest), `${score} ${threshold} ${isTest}`).toBe(expected);

  it('measures distances as score / threshold and p-values as threshold / score, capped', () => {
    check(0.05, 0.1, false, 0.5);
    check(0.2, 0.1, false, 2);
    check(9, 0.1, false, RATIO_CAP);
    check(0.1, 0.05, true, 0.5);
    check(0, 0.05, true, RATIO_CAP);
    check(Infinity, 0.1, false, RATIO_CAP);
    check(0, 0, false, 0);
  });

  it('has no ratio without a number (NaN arrives over IPC as null)', () => {
    check(null, 0.1, false, null);
    check(NaN, 0.1, true, null);
  });
});

describe('sortFeatures', () => {
  it('lists drifting features first, then the closest to their threshold, then those without a score', () => {
    const features = [
      feature('age', [0.01, 0.02]),
      feature('plan', [0.3, 0.001], { isTest: true }),
      feature('income', [0.05, 0.15]),
      feature('tenure', [0.02, 0.09]),
      feature('empty', []),
      feature('region', [0.4, 0.2], { isTest: true }),
      feature('broken', [0.1, NaN]),
    ];
    expect(sortFeatures(features).map((f) => f.name)).toEqual([
      // Both drift; plan's p-value is 50× under its threshold, income 1.5× over.
      'plan',
      'income',
      'tenure',
      'region',
      'age',
      'broken',
      'empty',
    ]);
  });

  it('breaks ties by name and leaves its input alone', () => {
    const input = [feature('b', [0.01]), feature('a', [0.01])];
    expect(sortFeatures(input).map((f) => f.name)).toEqual(['a', 'b']);
    expect(input.map((f) => f.name)).toEqual(['b', 'a']);
  });
});

describe('summarize', () => {
  it('counts features drifting in the latest window against the dataset-drift share', () => {
    const fs = [
      feature('a', [0.01, 0.2]),
      feature('b', [0.2, 0.3]),
      feature('c', [0.2, 0.01]),
      feature('d', [0.01, 0.01]),
      feature('e', [0.01, 0.01]),
      feature('f', [0.01, 0.01]),
    ];
    const s = summarize(board(fs, [2 / 6, 2 / 6]));
    expect(s.text).toBe('2 of 6 features drifting · dataset drift at 50 %');
    expect(s).toMatchObject({ drifting: 2, total: 6, datasetDrift: false });
    expect(s.share).toBeCloseTo(1 / 3);
  });

  it('says when the latest window is dataset drift, and when there are no windows', () => {
    expect(summarize(board([feature('a', [0.3])], [1])).datasetDrift).toBe(true);
    expect(summarize(board([feature('a', [0.3])], [1])).text).toBe('1 of 1 feature drifting · dataset drift at 50 %');
    const empty = summarize(board([feature('a', [])], [], 0.3));
    expect(empty.text).toBe('no windows yet · dataset drift at 30 %');
    expect(empty.share).toBeNull();
  });
});

describe('missingRates', () => {
  it('flags the jump Evidently scores as no drift (10 % → 25 %)', () => {
    expect(missingRates(feature('a', [0.01], { refMissing: 0.1, missing: [0.25] }))).toEqual({
      reference: 0.1,
      latest: 0.25,
      jumped: true,
    });
  });

  it('flags a doubling of at least two points, not noise', () => {
    expect(missingRates(feature('a', [0.01], { refMissing: 0.01, missing: [0.03] })).jumped).toBe(true);
    expect(missingRates(feature('a', [0.01], { refMissing: 0.1, missing: [0.12] })).jumped).toBe(false);
    expect(missingRates(feature('a', [0.01], { refMissing: 0.01, missing: [0.015] })).jumped).toBe(false);
    expect(missingRates(feature('a', [0.01], { refMissing: 0.2, missing: [0.05] })).jumped).toBe(false);
  });

  it('has no latest rate without windows', () => {
    expect(missingRates(feature('a', [], { refMissing: 0.1 }))).toEqual({ reference: 0.1, latest: null, jumped: false });
  });
});

describe('formatting', () => {
  it('writes shares as percentages', () => {
    expect(formatShare(0.5)).toBe('50 %');
    expect(formatShare(0.125)).toBe('12.5 %');
    expect(formatShare(1 / 3)).toBe('33.3 %');
    expect(formatShare(null)).toBe('—');
  });

  it('writes tiny p-values in scientific notation, never as 0', () => {
    expect(formatScore(0.1)).toBe('0.1');
    expect(formatScore(0.123456)).toBe('0.1235');
    expect(formatScore(3.2e-7)).toBe('3.2e-7');
    expect(formatScore(0)).toBe('0');
    expect(formatScore(null)).toBe('—');
    expect(formatScore(NaN)).toBe('—');
  });

  it('says which way the threshold points', () => {
    expect(directionText(feature('a', [], { isTest: true }))).toBe('p-value; drift when ≤ threshold');
    expect(directionText(feature('a', []))).toBe('distance; drift when ≥ threshold');
  });
});

describe('chart images', () => {
  it('builds a data URL that round-trips the SVG text', () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg"><text>a # b & "c" 100 %</text></svg>';
    const url = svgDataUrl(svg);
    expect(url.startsWith('data:image/svg+xml;charset=utf-8,')).toBe(true);
    expect(url).not.toContain('#');
    expect(url).not.toContain('"');
    expect(decodeURIComponent(url.slice(url.indexOf(',') + 1))).toBe(svg);
  });

  it('keeps the newest chart and the last image when a redraw fails', () => {
    const key = chartKey('income', 'score');
    let cache: ChartCache = {};
    cache = settleChart(cache, key, 2, { ok: true, svg: '<svg>2</svg>' });
    // An older render finishing late does not replace the newer one.
    const late = settleChart(cache, key, 1, { ok: true, svg: '<svg>1</svg>' });
    expect(late).toBe(cache);
    cache = settleChart(cache, key, 3, { ok: false, message: 'no feature `income`' });
    expect(cache[key]).toEqual({ url: svgDataUrl('<svg>2</svg>'), gen: 3, error: 'no feature `income`' });
    cache = settleChart(cache, key, 4, { ok: true, svg: '<svg>4</svg>' });
    expect(cache[key]).toEqual({ url: svgDataUrl('<svg>4</svg>'), gen: 4, error: null });
  });

  it('is settled once the heatmap and both charts of every feature are drawn or failed', () => {
    const fs = [feature('a', [0.1]), feature('b', [0.1])];
    let cache: ChartCache = {};
    expect(allSettled(fs, cache, 'heatmap')).toBe(false);
    cache = settleChart(cache, 'heatmap', 1, { ok: true, svg: '<svg/>' });
    for (const f of fs) {
      cache = settleChart(cache, chartKey(f.name, 'score'), 1, { ok: true, svg: '<svg/>' });
    }
    expect(allSettled(fs, cache, 'heatmap')).toBe(false);
    cache = settleChart(cache, chartKey('a', 'histogram'), 1, { ok: true, svg: '<svg/>' });
    cache = settleChart(cache, chartKey('b', 'histogram'), 1, { ok: false, message: 'x' });
    expect(allSettled(fs, cache, 'heatmap')).toBe(true);
    expect(chartKey('a', 'score')).not.toBe(chartKey('a', 'histogram'));
  });
});

describe('the view controls', () => {
  it('offer the latest window first, then every window newest first, and drop a vanished pick', () => {
    const b = board([feature('income', [0.02, 0.2, 0.3])], [0, 1, 1]);
    const choices = windowChoices(b);
    expect(choices.map((c) => c.value)).toEqual([null, 2, 1, 0]);
    expect(choices[1]?.label.startsWith('ending ')).toBe(true);
    expect(validWindow(b, 1)).toBe(1);
    expect(validWindow(b, 3)).toBeNull();
    expect(validWindow(b, null)).toBeNull();
  });

  it('read a feature at the picked window or the latest one', () => {
    const f = feature('income', [0.02, 0.2, 0.3]);
    expect(pointAt(f, 0)?.score).toBe(0.02);
    expect(pointAt(f, null)?.score).toBe(0.3);
    expect(pointAt(f, 9)).toBeNull();
  });

  it('find the window under the pointer within reach, on a chart drawn at any size', () => {
    const marks = [
      { window: 0, x: 100, y: 50 },
      { window: 1, x: 300, y: 60 },
      { window: 2, x: 500, y: 70 },
    ];
    expect(nearestMark(marks, 310, 1)?.window).toBe(1);
    // Drawn at half size: the mark at x = 500 sits at 250 on screen.
    expect(nearestMark(marks, 245, 0.5)?.window).toBe(2);
    expect(nearestMark(marks, 200, 1)).toBeNull();
    expect(nearestMark([], 10, 1)).toBeNull();
  });

  it('say what a window holds and since when a feature drifts', () => {
    const f = feature('plan', [0.4, 0.01], { isTest: true, onset: T0 + 600_000 });
    expect(readout(f, 1)).toMatch(/^window ending .* · p-value 0\.01 · drift$/);
    expect(readout(f, 0)).toMatch(/· no drift$/);
    expect(readout(f, 5)).toBeNull();
    expect(onsetText(f)).toMatch(/^drifting since /);
    expect(onsetText(feature('calm', [0.01]))).toBeNull();
  });
});
