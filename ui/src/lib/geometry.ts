// Small conversions from the layout's diagram units to SVG attributes.
import type { Anchor, LoopLayout, Point, StageBox } from './api/bindings';

/** A polyline or polygon's `points` attribute: "x1,y1 x2,y2 …", rounded to hundredths. */
export function svgPoints(points: readonly Point[]): string {
  return points.map((p) => `${round(p.x)},${round(p.y)}`).join(' ');
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

/** The rectangle of a stage box, from its centre and size. */
export function boxRect(box: Pick<StageBox, 'center' | 'width' | 'height'>): {
  x: number;
  y: number;
  width: number;
  height: number;
} {
  return {
    x: round(box.center.x - box.width / 2),
    y: round(box.center.y - box.height / 2),
    width: box.width,
    height: box.height,
  };
}

/** The SVG `text-anchor` for a layout anchor; the names agree, but the mapping is kept explicit. */
export function textAnchor(anchor: Anchor): 'start' | 'middle' | 'end' {
  switch (anchor) {
    case 'start':
      return 'start';
    case 'middle':
      return 'middle';
    case 'end':
      return 'end';
  }
}

/** The `viewBox` that shows the whole canvas. */
export function viewBox(layout: Pick<LoopLayout, 'width' | 'height'>): string {
  return `0 0 ${layout.width} ${layout.height}`;
}

/**
 * Splits a stage's detail line ("champion → 3, production → 3, staging → 4") into one or two lines
 * at a comma, choosing the split whose longer line is shortest, so that the text fits the small
 * stage box. A line that still runs long is compressed when drawn.
 */
export function splitDetail(detail: string, maxChars: number): string[] {
  const text = detail.trim();
  if (text === '') return [];
  const items = text.split(/,\s*/);
  if (text.length <= maxChars || items.length === 1) return [text];
  let best: string[] = [text];
  let bestLongest = text.length;
  for (let i = 1; i < items.length; i++) {
    const lines = [items.slice(0, i).join(', ') + ',', items.slice(i).join(', ')];
    const longest = Math.max(...lines.map((l) => l.length));
    if (longest < bestLongest) {
      best = lines;
      bestLongest = longest;
    }
  }
  return best;
}

export type Bounds = { minX: number; minY: number; maxX: number; maxY: number };

/** A text label to keep inside the view, with the font size it is drawn at. */
export type LabelExtent = { at: Point; anchor: Anchor; text: string; fontSize: number };

/** Average advance of a character, in ems, for the system sans fonts; an estimate on purpose. */
const CHAR_EM = 0.6;

/**
 * The part of the canvas the drawing occupies: every stage box, edge, gate (with its focus ring)
 * and label, plus `margin`. The layout leaves empty bands around the loop; showing only what is
 * drawn lets the diagram scale larger in the window.
 */
export function drawingBounds(
  layout: Pick<LoopLayout, 'stages' | 'edges' | 'gates'>,
  labels: readonly LabelExtent[],
  margin: number,
): Bounds {
  const b: Bounds = { minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity };
  const add = (x: number, y: number) => {
    b.minX = Math.min(b.minX, x);
    b.minY = Math.min(b.minY, y);
    b.maxX = Math.max(b.maxX, x);
    b.maxY = Math.max(b.maxY, y);
  };
  for (const s of layout.stages) {
    add(s.center.x - s.width / 2, s.center.y - s.height / 2);
    add(s.center.x + s.width / 2, s.center.y + s.height / 2);
  }
  for (const e of layout.edges) for (const p of [...e.points, ...e.head]) add(p.x, p.y);
  for (const g of layout.gates) {
    const r = g.radius + 8;
    add(g.center.x - r, g.center.y - r);
    add(g.center.x + r, g.center.y + r);
  }
  for (const l of labels) {
    const w = l.text.length * l.fontSize * CHAR_EM;
    const left = l.anchor === 'start' ? l.at.x : l.anchor === 'middle' ? l.at.x - w / 2 : l.at.x - w;
    add(left, l.at.y - l.fontSize);
    add(left + w, l.at.y + l.fontSize);
  }
  if (!Number.isFinite(b.minX)) return { minX: 0, minY: 0, maxX: 0, maxY: 0 };
  return {
    minX: b.minX - margin,
    minY: b.minY - margin,
    maxX: b.maxX + margin,
    maxY: b.maxY + margin,
  };
}

/** A `viewBox` attribute for bounds, rounded to whole units. */
export function boundsViewBox(b: Bounds): string {
  const x = Math.floor(b.minX);
  const y = Math.floor(b.minY);
  return `${x} ${y} ${Math.ceil(b.maxX) - x} ${Math.ceil(b.maxY) - y}`;
}
