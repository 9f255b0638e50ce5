import { describe, expect, it } from 'vitest';

import { NAV_ITEMS, viewFromHash } from './nav';

describe('navigation', () => {
  it('enables loop, registry, promotions, rollout, drift, monitor, alerts, audit and learn', () => {
    expect(NAV_ITEMS.filter((i) => i.enabled).map((i) => i.id)).toEqual(['loop', 'registry', 'promotions', 'rollout', 'drift', 'monitor', 'alerts', 'audit', 'learn']);
  });

  it('reads an enabled view from the location hash', () => {
    expect(viewFromHash('#audit')).toBe('audit');
    expect(viewFromHash('registry')).toBe('registry');
    expect(viewFromHash('#drift')).toBe('drift');
    expect(viewFromHash('#rollout')).toBe('rollout');
    expect(viewFromHash('#learn')).toBe('learn');
    expect(viewFromHash('#alerts')).toBe('alerts');
    expect(viewFromHash('#settings')).toBeNull();
    expect(viewFromHash('')).toBeNull();
    expect(viewFromHash('#nope')).toBeNull();
  });
});
