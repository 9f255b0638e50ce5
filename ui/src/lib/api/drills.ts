// The Learn drills' commands: a drill runs on a throw-away copy of the demo workspace that the
// shell shows in place of the workspace until the drill is finished or given up. Also the
// incident responses the drills train: quarantining a batch, asking for retraining.
import { invoke } from '@tauri-apps/api/core';

import type { AuditEvent, Debrief, DrillCard, DrillStatus, Owner } from './bindings';
import { toErrorReport } from './index';

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toErrorReport(e);
  }
}

/** The drills with the acting user's best result of each. */
export function drillList(): Promise<DrillCard[]> {
  return call<DrillCard[]>('drill_list');
}

/** Starts a drill on a fresh copy of the demo workspace, which the panel then shows. */
export function drillStart(drill: string): Promise<DrillStatus> {
  return call<DrillStatus>('drill_start', { drill });
}

/** The running drill (its script moved on to now), or null when none runs. */
export function drillStatus(): Promise<DrillStatus | null> {
  return call<DrillStatus | null>('drill_status');
}

/** The next hint, counted against the score. */
export function drillHint(): Promise<DrillStatus> {
  return call<DrillStatus>('drill_hint');
}

/** Finishes (or gives up) the running drill; the panel shows the workspace again. */
export function drillFinish(giveUp: boolean): Promise<Debrief> {
  return call<Debrief>('drill_finish', { giveUp });
}

/** Quarantines a data batch of the followed model, with a reason; resolves to the audit event. */
export function quarantineBatch(batch: string, reason: string): Promise<AuditEvent> {
  return call<AuditEvent>('quarantine_batch', { batch, reason });
}

/** Asks an owner to retrain the followed model, with a reason; resolves to the audit event. */
export function requestRetraining(owner: string, reason: string): Promise<AuditEvent> {
  return call<AuditEvent>('request_retraining', { owner, reason });
}

/** The policy's owners. */
export function policyOwners(): Promise<Owner[]> {
  return call<Owner[]>('policy_owners');
}

/** The drills the acting user left unfinished (a panel closed mid-drill). */
export function drillUnfinished(): Promise<DrillStatus[]> {
  return call<DrillStatus[]>('drill_unfinished');
}

/** Goes back to an unfinished drill, named by its copy's folder under `drills/`. */
export function drillResume(copy: string): Promise<DrillStatus> {
  return call<DrillStatus>('drill_resume', { copy });
}
