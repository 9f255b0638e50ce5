// The Learn view's logic: where the tour resumes, how far a user has come, what "Show me"
// highlights, and the tour's Markdown-lite text (paragraphs, `- ` bullets, **bold**, *italic*,
// `code`) turned into plain parts the view renders without HTML injection.
import type { LearnProgress, StepView, TourTarget, TourView } from './api/bindings';

/** "3 of 14": steps done out of the tour's steps. */
export function progressText(view: Pick<TourView, 'steps'>): string {
  const done = view.steps.filter((s) => s.done_at !== null).length;
  return `${done} of ${view.steps.length}`;
}

/** The share of steps done, 0 … 1 (0 for an empty tour). */
export function progressShare(view: Pick<TourView, 'steps'>): number {
  if (view.steps.length === 0) return 0;
  return view.steps.filter((s) => s.done_at !== null).length / view.steps.length;
}

/**
 * The step to show: the one the user was on (if the tour still has it), else the first step not
 * done, else the last.
 */
export function resumeIndex(steps: readonly Pick<StepView, 'id' | 'done_at'>[], remembered: string | null): number {
  if (steps.length === 0) return 0;
  if (remembered !== null) {
    const at = steps.findIndex((s) => s.id === remembered);
    if (at >= 0) return at;
  }
  const undone = steps.findIndex((s) => s.done_at === null);
  return undone >= 0 ? undone : steps.length - 1;
}

/** The view with the steps of `progress` marked done, for an instant update after "Mark done". */
export function withProgress(view: TourView, progress: LearnProgress): TourView {
  const at = new Map(progress.steps.map((c) => [c.step, c.at]));
  const steps = view.steps.map((s) => ({ ...s, done_at: at.get(s.id) ?? null }));
  return { ...view, steps, completed: steps.filter((s) => s.done_at !== null).length };
}

/** What "Show me" highlights on the Loop view; null when the step points at nothing. */
export type Highlight = Exclude<TourTarget, { kind: 'none' }>;

export function highlightOf(target: TourTarget): Highlight | null {
  switch (target.kind) {
    case 'none':
      return null;
    case 'stage':
    case 'gate':
      return target;
  }
}

/** Whether the stage or gate `id` is the one highlighted. */
export function isHighlighted(highlight: Highlight | null, kind: Highlight['kind'], id: string): boolean {
  if (highlight === null || highlight.kind !== kind) return false;
  return highlight.kind === 'stage' ? highlight.stage === id : highlight.gate === id;
}

/** The target in words, for the button and the banner: "the Data stage", "the data-quality gate". */
export function targetLabel(target: TourTarget): string {
  switch (target.kind) {
    case 'none':
      return 'the whole loop';
    case 'stage':
      return `the ${target.stage.charAt(0).toUpperCase()}${target.stage.slice(1)} stage`;
    case 'gate':
      return `the ${target.gate} gate`;
  }
}

export type Inline = { text: string; style: 'plain' | 'strong' | 'em' | 'code' };
export type Block = { kind: 'p'; parts: Inline[] } | { kind: 'ul'; items: Inline[][] };

const INLINE = /(\*\*[^*]+\*\*|`[^`]+`|\*[^*\s][^*]*\*)/g;

/** Splits a line into plain text, **strong**, *em* and `code` parts. */
export function inlines(line: string): Inline[] {
  const parts: Inline[] = [];
  let last = 0;
  for (const m of line.matchAll(INLINE)) {
    const at = m.index ?? 0;
    if (at > last) parts.push({ text: line.slice(last, at), style: 'plain' });
    const token = m[0];
    if (token.startsWith('**')) parts.push({ text: token.slice(2, -2), style: 'strong' });
    else if (token.startsWith('`')) parts.push({ text: token.slice(1, -1), style: 'code' });
    else parts.push({ text: token.slice(1, -1), style: 'em' });
    last = at + token.length;
  }
  if (last < line.length) parts.push({ text: line.slice(last), style: 'plain' });
  return parts;
}

/** Paragraphs (separated by blank lines) and bullet lists (lines starting with `- `). */
export function blocks(text: string): Block[] {
  const out: Block[] = [];
  for (const chunk of text.split(/\n\s*\n/)) {
    const lines = chunk
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
    let para: string[] = [];
    let items: Inline[][] = [];
    const flushPara = () => {
      if (para.length > 0) out.push({ kind: 'p', parts: inlines(para.join(' ')) });
      para = [];
    };
    const flushList = () => {
      if (items.length > 0) out.push({ kind: 'ul', items });
      items = [];
    };
    for (const line of lines) {
      if (line.startsWith('- ')) {
        flushPara();
        items.push(inlines(line.slice(2)));
      } else {
        flushList();
        para.push(line);
      }
    }
    flushPara();
    flushList();
  }
  return out;
}
