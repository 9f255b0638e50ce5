import { describe, expect, it } from 'vitest';

import type { StepView, TourView } from './api/bindings';
import {
  blocks,
  highlightOf,
  inlines,
  isHighlighted,
  progressShare,
  progressText,
  resumeIndex,
  targetLabel,
  withProgress,
} from './learn';

function step(id: string, done_at: number | null = null): StepView {
  return {
    id,
    target: { kind: 'none' },
    title: id,
    body: '',
    without_it: '',
    good: '',
    signals: [],
    live: { kind: 'none' },
    in_your_team: '',
    done_at,
  };
}

function tour(steps: StepView[]): TourView {
  return { title: 't', source: 'workspace', model: 'churn', user: 'sam', steps, completed: 0 };
}

describe('progress', () => {
  it('counts done steps', () => {
    const view = tour([step('a', 1), step('b'), step('c', 2)]);
    expect(progressText(view)).toBe('2 of 3');
    expect(progressShare(view)).toBeCloseTo(2 / 3);
    expect(progressShare(tour([]))).toBe(0);
  });

  it('resumes where the user was, else at the first step not done', () => {
    const steps = [step('a', 1), step('b'), step('c')];
    expect(resumeIndex(steps, 'c')).toBe(2);
    expect(resumeIndex(steps, 'gone')).toBe(1);
    expect(resumeIndex(steps, null)).toBe(1);
    expect(resumeIndex([step('a', 1), step('b', 2)], null)).toBe(1);
    expect(resumeIndex([], null)).toBe(0);
  });

  it('applies a progress answer to the view', () => {
    const view = tour([step('a'), step('b')]);
    const next = withProgress(view, { user: 'sam', steps: [{ step: 'b', at: 7 }] });
    expect(next.steps.map((s) => s.done_at)).toEqual([null, 7]);
    expect(next.completed).toBe(1);
  });
});

describe('show me', () => {
  it('highlights the stage or gate a step targets', () => {
    expect(highlightOf({ kind: 'none' })).toBeNull();
    const gate = highlightOf({ kind: 'gate', gate: 'data-quality' });
    expect(isHighlighted(gate, 'gate', 'data-quality')).toBe(true);
    expect(isHighlighted(gate, 'gate', 'promotion')).toBe(false);
    expect(isHighlighted(gate, 'stage', 'data')).toBe(false);
    const stage = highlightOf({ kind: 'stage', stage: 'train' });
    expect(isHighlighted(stage, 'stage', 'train')).toBe(true);
    expect(isHighlighted(null, 'stage', 'train')).toBe(false);
  });

  it('names targets', () => {
    expect(targetLabel({ kind: 'stage', stage: 'data' })).toBe('the Data stage');
    expect(targetLabel({ kind: 'gate', gate: 'rollout' })).toBe('the rollout gate');
    expect(targetLabel({ kind: 'none' })).toBe('the whole loop');
  });
});

describe('markdown-lite', () => {
  it('splits inline styles', () => {
    expect(inlines('owned by **Release council**, see `gatehouse.toml` or *this*')).toEqual([
      { text: 'owned by ', style: 'plain' },
      { text: 'Release council', style: 'strong' },
      { text: ', see ', style: 'plain' },
      { text: 'gatehouse.toml', style: 'code' },
      { text: ' or ', style: 'plain' },
      { text: 'this', style: 'em' },
    ]);
    expect(inlines('2 * 3 = 6')).toEqual([{ text: '2 * 3 = 6', style: 'plain' }]);
    expect(inlines('<b>not html</b>')).toEqual([{ text: '<b>not html</b>', style: 'plain' }]);
  });

  it('reads paragraphs and bullet lists', () => {
    const text = 'One line\ncontinues.\n\nNext:\n\n- **a**: first\n- second\nafter';
    expect(blocks(text)).toEqual([
      { kind: 'p', parts: [{ text: 'One line continues.', style: 'plain' }] },
      { kind: 'p', parts: [{ text: 'Next:', style: 'plain' }] },
      {
        kind: 'ul',
        items: [
          [
            { text: 'a', style: 'strong' },
            { text: ': first', style: 'plain' },
          ],
          [{ text: 'second', style: 'plain' }],
        ],
      },
      { kind: 'p', parts: [{ text: 'after', style: 'plain' }] },
    ]);
    expect(blocks('')).toEqual([]);
  });
});
