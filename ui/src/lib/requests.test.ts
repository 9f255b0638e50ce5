import { describe, expect, it } from 'vitest';

import type { RequestState } from './api/bindings';
import { approvalProgress, cleanReason, decisionText, formatMove, groupRequests, isOpen, REQUEST_STATE_TONE } from './requests';

function view(id: number, state: RequestState, at: number) {
  return { request: { id, state, requested_at: at } } as unknown as Parameters<typeof groupRequests>[0][number];
}

describe('groupRequests', () => {
  it('puts open requests first, each group newest first', () => {
    const { open, history } = groupRequests([
      view(1, 'done', 10),
      view(2, 'requested', 20),
      view(3, 'rejected', 30),
      view(4, 'approved', 40),
      view(5, 'executing', 40),
      view(6, 'failed', 50),
    ]);
    expect(open.map((v) => v.request.id)).toEqual([5, 4, 2]);
    expect(history.map((v) => v.request.id)).toEqual([6, 3, 1]);
  });

  it('knows which states are open', () => {
    expect(['requested', 'approved', 'executing', 'rejected', 'done', 'failed'].map((s) => isOpen(s as RequestState))).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });
});

describe('formatting', () => {
  it('writes a move from → to', () => {
    expect(formatMove('3', '5')).toBe('3 → 5');
    expect(formatMove(null, '1')).toBe('unset → 1');
  });

  it('counts approvals against those needed', () => {
    const a = { by: 'ann', at: 0, reason: null };
    expect(approvalProgress({ approvals: [a], required_approvals: 2 })).toBe('1 of 2');
    expect(approvalProgress({ approvals: [], required_approvals: 0 })).toBe('no approvals needed');
  });

  it('cleans reasons', () => {
    expect(cleanReason('  ok ')).toBe('ok');
    expect(cleanReason('   ')).toBeNull();
  });

  it('gives every state a tone', () => {
    expect(REQUEST_STATE_TONE.done).toBe('passed');
    expect(REQUEST_STATE_TONE.rejected).toBe('blocked');
    expect(REQUEST_STATE_TONE.requested).toBe('pending');
  });
});

describe('decisionText', () => {
  const base = { id: 7, model: 'churn', pointer: 'production', version: '5', outcome: null, required_approvals: 2 };
  const a = { by: 'ann', at: 0, reason: null };

  it('says what an approval led to', () => {
    expect(decisionText('approve', { ...base, state: 'requested', approvals: [a] })).toBe(
      'Approved (1 of 2); waiting for another approver.',
    );
    expect(decisionText('approve', { ...base, state: 'done', approvals: [a, a] })).toBe(
      'Approved and executed: churn@production now points to 5.',
    );
    expect(decisionText('approve', { ...base, state: 'failed', approvals: [a, a], outcome: 'registry down' })).toBe(
      'Approved, but execution failed: registry down',
    );
    expect(decisionText('reject', { ...base, state: 'rejected', approvals: [] })).toBe('Rejected request #7.');
  });
});
