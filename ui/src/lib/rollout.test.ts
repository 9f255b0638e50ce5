import { describe, expect, it } from 'vitest';

import type { GateStatus, RolloutView } from './api/bindings';
import { checksIn, rolloutActions, rolloutLine, verdictTone, versionLabel } from './rollout';

function view(over: Partial<RolloutView> = {}): RolloutView {
  const gate = { state: 'blocked' } as GateStatus;
  return {
    model: 'churn',
    kind: 'canary',
    pointer: 'production',
    auto_rollback: false,
    live: { analysis: {} as RolloutView['live']['analysis'], canary: '3', started_at: null, overridden: null, unmeasured: null },
    stable: '2',
    no_stable_because: null,
    gate,
    proposal: { model: 'churn', pointer: 'production', from: '3', to: '2' },
    user: 'dana',
    cannot_roll_back_because: null,
    cannot_override_because: 'dana may not override gates: that needs the role admin',
    evaluated_at: 0,
    ...over,
  };
}

describe('rollout', () => {
  it('colours verdicts like the gate states they lead to', () => {
    expect(verdictTone('failed')).toBe('blocked');
    expect(verdictTone('error')).toBe('blocked');
    expect(verdictTone('inconclusive')).toBe('pending');
    expect(verdictTone('running')).toBe('pending');
    expect(verdictTone('successful')).toBe('passed');
  });

  it('names the rollout in one line', () => {
    expect(rolloutLine(view())).toBe('canary v3 on churn@production, replacing v2');
    expect(rolloutLine(view({ stable: null, kind: 'shadow' }))).toBe('shadow v3 on churn@production');
    expect(versionLabel('abc')).toBe('abc');
    expect(versionLabel(null)).toBe('—');
  });

  it('counts the checks in', () => {
    const metric = {
      tally: { successful: 1, failed: 2, inconclusive: 0, error: 1, consecutive_errors: 1 },
      spec: { count: 5 },
    } as Parameters<typeof checksIn>[0];
    expect(checksIn(metric)).toBe('4 of 5 checks in');
  });

  it('offers what the core allows the acting user', () => {
    expect(rolloutActions(view())).toEqual({ confirm: true, override: false, abort: true });
    expect(rolloutActions(view({ cannot_override_because: null }))).toEqual({ confirm: true, override: true, abort: true });
    const viewer = view({ cannot_roll_back_because: 'sam may not roll back', cannot_override_because: 'no' });
    expect(rolloutActions(viewer)).toEqual({ confirm: false, override: false, abort: false });
    const passing = view({ proposal: null, gate: { state: 'passed' } as GateStatus, cannot_override_because: null });
    expect(rolloutActions(passing)).toEqual({ confirm: false, override: false, abort: true });
  });
});
