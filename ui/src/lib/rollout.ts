// The Rollout view's logic: how a verdict reads and looks, what the header says about the rollout
// in progress, and what the acting user may do now. The decisions themselves (the verdicts, the
// proposal, who may act) come from the core; this only phrases them.
import type { GateState, MetricAnalysis, RolloutView, Verdict, VersionId } from './api/bindings';

/** The gate state a verdict pushes the rollout gate towards, for its colour. */
export function verdictTone(verdict: Verdict): GateState {
  switch (verdict) {
    case 'successful':
      return 'passed';
    case 'failed':
    case 'error':
      return 'blocked';
    case 'inconclusive':
    case 'running':
      return 'pending';
  }
}

/** A verdict for people. */
export function verdictLabel(verdict: Verdict): string {
  switch (verdict) {
    case 'successful':
      return 'Successful';
    case 'failed':
      return 'Failed';
    case 'error':
      return 'No data';
    case 'inconclusive':
      return 'Inconclusive: a person decides';
    case 'running':
      return 'Running';
  }
}

/** `v8` for numbered versions, the version itself otherwise; `—` for none. */
export function versionLabel(version: VersionId | null): string {
  if (version === null) return '—';
  return /^\d+$/.test(version) ? `v${version}` : version;
}

/** "canary v3 on churn@production, replacing v2": the version before it is where a rollback goes. */
export function rolloutLine(view: Pick<RolloutView, 'kind' | 'model' | 'pointer' | 'stable' | 'live'>): string {
  const canary = versionLabel(view.live.canary);
  const replacing = view.stable === null ? '' : `, replacing ${versionLabel(view.stable)}`;
  return `${view.kind} ${canary} on ${view.model}@${view.pointer}${replacing}`;
}

/** "3 of 5 checks in" for a metric. */
export function checksIn(metric: Pick<MetricAnalysis, 'tally' | 'spec'>): string {
  const t = metric.tally;
  const taken = t.successful + t.failed + t.inconclusive + t.error;
  return `${taken} of ${metric.spec.count} checks in`;
}

export type RolloutActions = {
  /** The proposed rollback may be confirmed by this user. */
  confirm: boolean;
  /** This user may override the analysis (promote anyway); only while it does not pass. */
  override: boolean;
  /** This user may abort (roll back to the stable version). */
  abort: boolean;
};

/** What the acting user may do now, from the core's answers. */
export function rolloutActions(
  view: Pick<RolloutView, 'proposal' | 'stable' | 'gate' | 'cannot_roll_back_because' | 'cannot_override_because'>,
): RolloutActions {
  const mayRollBack = view.cannot_roll_back_because === null;
  const needsDecision = view.gate.state === 'blocked' || view.gate.state === 'pending';
  return {
    confirm: view.proposal !== null && mayRollBack,
    override: needsDecision && view.cannot_override_because === null,
    abort: view.stable !== null && mayRollBack,
  };
}
