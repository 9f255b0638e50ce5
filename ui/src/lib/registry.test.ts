import { describe, expect, it } from 'vitest';

import type { ModelVersion } from './api/bindings';
import { formatNumber } from './format';
import {
  deltaTone,
  diffLineage,
  diffMetrics,
  findVersion,
  formatDelta,
  keyMetrics,
  lowerIsBetter,
  pointerBadges,
  pointersAt,
  productionPointer,
} from './registry';

function version(v: string, metrics: Record<string, number>, more: Partial<ModelVersion> = {}): ModelVersion {
  return {
    version: v,
    run_id: `run-${v}`,
    created_at: 0,
    metrics,
    tags: {},
    data_version: null,
    code_commit: null,
    ...more,
  };
}

describe('productionPointer', () => {
  it('prefers production, then prod, then champion, then the first by name', () => {
    expect(productionPointer({ pointers: { staging: '2', production: '1' } })).toBe('production');
    expect(productionPointer({ pointers: { staging: '2', prod: '1' } })).toBe('prod');
    expect(productionPointer({ pointers: { challenger: '2', champion: '1' } })).toBe('champion');
    expect(productionPointer({ pointers: { zeta: '2', alpha: '1' } })).toBe('alpha');
    expect(productionPointer({ pointers: {} })).toBeNull();
  });
});

describe('pointers', () => {
  const model = { pointers: { staging: '5', production: '5', canary: '5', shadow: '4' } };

  it('lists the pointers at a version, production first', () => {
    expect(pointersAt(model, '5')).toEqual(['production', 'canary', 'staging']);
    expect(pointersAt(model, '3')).toEqual([]);
  });

  it('lists badges production first, then by name', () => {
    expect(pointerBadges(model).map((b) => [b.pointer, b.production])).toEqual([
      ['production', true],
      ['canary', false],
      ['shadow', false],
      ['staging', false],
    ]);
  });

  it('finds a version by id', () => {
    const m = { versions: [version('1', {}), version('2', {})] };
    expect(findVersion(m, '2')?.run_id).toBe('run-2');
    expect(findVersion(m, '9')).toBeNull();
    expect(findVersion(m, null)).toBeNull();
  });
});

describe('metric direction', () => {
  it('treats log_loss and other losses and errors as lower-is-better', () => {
    expect(lowerIsBetter('log_loss')).toBe(true);
    expect(lowerIsBetter('rmse')).toBe(true);
    expect(lowerIsBetter('val_loss')).toBe(true);
    expect(lowerIsBetter('auc')).toBe(false);
    expect(lowerIsBetter('f1')).toBe(false);
    expect(lowerIsBetter('lossless_ratio')).toBe(false);
  });

  it('colours a change by the metric direction', () => {
    expect(deltaTone('auc', 0.9, 0.8)).toBe('better');
    expect(deltaTone('auc', 0.7, 0.8)).toBe('worse');
    expect(deltaTone('log_loss', 0.3, 0.4)).toBe('better');
    expect(deltaTone('log_loss', 0.5, 0.4)).toBe('worse');
    expect(deltaTone('auc', 0.8, 0.8)).toBe('same');
    expect(deltaTone('auc', null, 0.8)).toBe('none');
    expect(deltaTone('auc', 0.8, null)).toBe('none');
  });
});

describe('diffMetrics', () => {
  it('covers the metrics of both versions, by name, with deltas', () => {
    const rows = diffMetrics(version('5', { auc: 0.9, log_loss: 0.3, f1: 0.7 }), version('4', { auc: 0.85, log_loss: 0.35, recall: 0.6 }));
    expect(rows.map((r) => [r.metric, r.tone])).toEqual([
      ['auc', 'better'],
      ['f1', 'none'],
      ['log_loss', 'better'],
      ['recall', 'none'],
    ]);
    expect(rows[0]?.delta).toBeCloseTo(0.05);
    expect(rows[1]?.base).toBeNull();
    expect(rows[3]?.value).toBeNull();
    expect(rows[3]?.delta).toBeNull();
  });

  it('has no base values without a production version', () => {
    const rows = diffMetrics(version('1', { auc: 0.9 }), null);
    expect(rows).toEqual([{ metric: 'auc', value: 0.9, base: null, delta: null, tone: 'none', lowerIsBetter: false }]);
  });
});

describe('formatDelta', () => {
  it('signs the delta with a true minus', () => {
    expect(formatDelta(0.05, formatNumber)).toBe('+0.05');
    expect(formatDelta(-0.0123, formatNumber)).toBe('−0.0123');
    expect(formatDelta(0, formatNumber)).toBe('0');
    expect(formatDelta(0.000001, formatNumber)).toBe('+0');
  });
});

describe('diffLineage', () => {
  it('marks what changed against production', () => {
    const rows = diffLineage(
      version('5', {}, { data_version: 'd2', code_commit: 'abc' }),
      version('4', {}, { data_version: 'd1', code_commit: 'abc' }),
    );
    expect(rows).toEqual([
      { field: 'run', value: 'run-5', base: 'run-4', changed: true },
      { field: 'data version', value: 'd2', base: 'd1', changed: true },
      { field: 'code commit', value: 'abc', base: 'abc', changed: false },
    ]);
  });

  it('marks nothing changed without a base', () => {
    expect(diffLineage(version('1', {}), null).every((r) => !r.changed)).toBe(true);
  });
});

describe('keyMetrics', () => {
  it('takes the first metrics by name', () => {
    expect(keyMetrics(version('1', { f1: 1, auc: 2, log_loss: 3, z: 4 }))).toEqual([
      ['auc', 2],
      ['f1', 1],
      ['log_loss', 3],
    ]);
  });
});

describe('productionPointer with the policy\'s name', () => {
  it('prefers the pointer the policy names when the model has it', () => {
    const model = { pointers: { production: '3', champion: '4' } };
    expect(productionPointer(model, 'champion')).toBe('champion');
    expect(productionPointer(model, 'live')).toBe('production');
  });
});
