// The Promotions view's logic: which requests are open, in what order, how their approvals and
// moves read, and how each state looks.
import type { GateState, PromotionRequest, RequestState, RequestView, VersionId } from './api/bindings';

/** Whether a request still waits for something (a decision or its execution). */
export function isOpen(state: RequestState): boolean {
  switch (state) {
    case 'requested':
    case 'approved':
    case 'executing':
      return true;
    case 'rejected':
    case 'done':
    case 'failed':
      return false;
  }
}

/** Open requests and finished ones, each newest first (by time, then id). */
export function groupRequests<T extends Pick<RequestView, 'request'>>(views: readonly T[]): { open: T[]; history: T[] } {
  const sorted = [...views].sort(
    (a, b) => b.request.requested_at - a.request.requested_at || b.request.id - a.request.id,
  );
  return {
    open: sorted.filter((v) => isOpen(v.request.state)),
    history: sorted.filter((v) => !isOpen(v.request.state)),
  };
}

/** A pointer's move in words: "3 → 5"; an unset pointer reads "unset → 5". */
export function formatMove(from: VersionId | null, to: VersionId): string {
  return `${from ?? 'unset'} → ${to}`;
}

/** Approvals so far against those needed: "1 of 2"; a rollback needs none. */
export function approvalProgress(request: Pick<PromotionRequest, 'approvals' | 'required_approvals'>): string {
  if (request.required_approvals === 0) return 'no approvals needed';
  return `${request.approvals.length} of ${request.required_approvals}`;
}

/** Each state drawn in one of the gate colours: waiting is amber, done green, refused red. */
export const REQUEST_STATE_TONE: Record<RequestState, GateState> = {
  requested: 'pending',
  approved: 'overridden',
  executing: 'pending',
  done: 'passed',
  rejected: 'blocked',
  failed: 'blocked',
};

/** A reason typed by a person, trimmed; null when nothing but spaces. */
export function cleanReason(text: string): string | null {
  const t = text.trim();
  return t === '' ? null : t;
}

/** What an approve or reject came to, shown on the request's card. */
export type ActionResult = { ok: boolean; text: string };

/** The message for a request after a successful decision, from what the shell returned. */
export function decisionText(action: 'approve' | 'reject', r: Pick<PromotionRequest, 'id' | 'state' | 'approvals' | 'required_approvals' | 'outcome' | 'model' | 'pointer' | 'version'>): string {
  if (action === 'reject') return `Rejected request #${r.id}.`;
  switch (r.state) {
    case 'done':
      return `Approved and executed: ${r.model}@${r.pointer} now points to ${r.version}.`;
    case 'failed':
      return `Approved, but execution failed${r.outcome ? `: ${r.outcome}` : '.'}`;
    case 'requested':
      return `Approved (${approvalProgress(r)}); waiting for another approver.`;
    default:
      return `Approved; request #${r.id} is ${r.state}.`;
  }
}
