import { describe, expect, it } from 'vitest';
import { escapeHtml, formatNumber, lineChart } from './line-chart.js';

const polylines = (svg: string): Array<Array<[number, number]>> =>
  [...svg.matchAll(/<polyline[^>]* points="([^"]*)"/g)].map((m) => m[1]!.split(' ').map((p) => p.split(',').map(Number) as [number, number]));

describe('lineChart and helpers', () => {
  it('draws "no data" for empty series, skips non-finite points and escapes labels', () => {
    expect(lineChart({ title: 'T', xLabel: 'x', yLabel: 'y', series: [{ name: 'a', points: [] }] })).toContain('>no data</text>');
    const svg = lineChart({ title: 'a<b', xLabel: 'x', yLabel: 'y', series: [{ name: 's&t', points: [[0, 1], [1, Number.NaN], [2, 3]] }] });
    expect(polylines(svg)[0]).toHaveLength(2);
    expect(svg).toContain('a&lt;b');
    expect(svg).toContain('>s&amp;t</text>');
  });

  it('formats numbers and escapes text', () => {
    expect(formatNumber(0.123456)).toBe('0.1235');
    expect(formatNumber(87.5)).toBe('87.5');
    expect(formatNumber(5e-4)).toBe('5.00e-4');
    expect(formatNumber(0)).toBe('0');
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
