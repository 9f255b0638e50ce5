import { describe, expect, it } from 'vitest';

import type { Point } from './api/bindings';
import { boundsViewBox, boxRect, drawingBounds, splitDetail, svgPoints, textAnchor, viewBox } from './geometry';

describe('svgPoints', () => {
  it('joins points as x,y pairs', () => {
    expect(
      svgPoints([
        { x: 1, y: 2 },
        { x: 30.5, y: 40 },
      ]),
    ).toBe('1,2 30.5,40');
  });

  it('rounds float noise from the layout to hundredths', () => {
    expect(svgPoints([{ x: 494.9999999999999, y: 141.484030110657 }])).toBe('495,141.48');
  });

  it('is empty for no points', () => {
    expect(svgPoints([])).toBe('');
  });
});

describe('boxRect', () => {
  it('turns a centre and size into a top-left rectangle', () => {
    expect(boxRect({ center: { x: 100, y: 345 }, width: 148, height: 56 })).toEqual({
      x: 26,
      y: 317,
      width: 148,
      height: 56,
    });
  });
});

describe('viewBox and anchors', () => {
  it('shows the whole canvas', () => {
    expect(viewBox({ width: 1120, height: 680 })).toBe('0 0 1120 680');
  });

  it('maps anchors one to one', () => {
    expect(textAnchor('start')).toBe('start');
    expect(textAnchor('middle')).toBe('middle');
    expect(textAnchor('end')).toBe('end');
  });
});

describe('splitDetail', () => {
  it('keeps nothing for an empty detail', () => {
    expect(splitDetail('', 24)).toEqual([]);
    expect(splitDetail('   ', 24)).toEqual([]);
  });

  it('keeps a short detail on one line', () => {
    expect(splitDetail('5 versions, latest 5', 24)).toEqual(['5 versions, latest 5']);
  });

  it('splits a long detail at the comma that balances the lines', () => {
    expect(splitDetail('champion → 3, production → 3, staging → 4', 24)).toEqual([
      'champion → 3,',
      'production → 3, staging → 4',
    ]);
    expect(splitDetail('production → 3, staging → 4', 24)).toEqual(['production → 3,', 'staging → 4']);
  });

  it('leaves a long detail without commas whole', () => {
    const text = 'a very long detail without any separators';
    expect(splitDetail(text, 24)).toEqual([text]);
  });
});

describe('drawingBounds', () => {
  const layout = {
    stages: [
      { stage: 'data' as const, center: { x: 100, y: 345 }, width: 148, height: 56 },
      { stage: 'train' as const, center: { x: 330, y: 345 }, width: 148, height: 56 },
    ],
    edges: [
      {
        from: 'data' as const,
        to: 'train' as const,
        points: [
          { x: 174, y: 345 },
          { x: 256, y: 300 },
        ],
        head: [
          { x: 256, y: 345 },
          { x: 246, y: 340 },
          { x: 246, y: 350 },
        ] as [Point, Point, Point],
      },
    ],
    gates: [],
  };

  it('covers every box and edge point plus the margin', () => {
    expect(drawingBounds(layout, [], 10)).toEqual({ minX: 16, minY: 290, maxX: 414, maxY: 383 });
  });

  it('grows to hold a label, by its anchor', () => {
    const start = drawingBounds(layout, [{ at: { x: 404, y: 345 }, anchor: 'start', text: 'Promotion', fontSize: 10 }], 0);
    expect(start.maxX).toBeCloseTo(404 + 9 * 10 * 0.6);
    const end = drawingBounds(layout, [{ at: { x: 30, y: 345 }, anchor: 'end', text: 'ab', fontSize: 10 }], 0);
    expect(end.minX).toBeCloseTo(30 - 12);
  });

  it('is empty for an empty layout', () => {
    expect(drawingBounds({ stages: [], edges: [], gates: [] }, [], 10)).toEqual({ minX: 0, minY: 0, maxX: 0, maxY: 0 });
  });

  it('writes a viewBox in whole units that still contains the bounds', () => {
    expect(boundsViewBox({ minX: 15.5, minY: 290.2, maxX: 414.1, maxY: 383 })).toBe('15 290 400 93');
  });
});
