const SVG = 'http://www.w3.org/2000/svg';

/** One line of a chart. */
export interface Series {
  name: string;
  colour: string;
  points: [number, number][];
  dashed?: boolean;
}

function node<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** Draws line series into an SVG (replacing its content), with axes labelled by their ranges and a legend. */
export function drawLines(svg: SVGSVGElement, series: Series[], options: { yMin?: number; yMax?: number; xLabel?: string; xTicks?: string[] } = {}): void {
  const w = 320;
  const h = 180;
  const m = { l: 36, r: 16, t: 22, b: 20 };
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  svg.replaceChildren();
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const x0 = Math.min(0, ...xs);
  const x1 = Math.max(1, ...xs);
  const y0 = options.yMin ?? (ys.length > 0 ? Math.min(...ys) : 0);
  const y1 = options.yMax ?? (ys.length > 0 ? Math.max(...ys, 1e-6) : 1);
  const X = (x: number): number => m.l + ((x - x0) / (x1 - x0 || 1)) * (w - m.l - m.r);
  const Y = (y: number): number => h - m.b - ((y - y0) / (y1 - y0 || 1)) * (h - m.t - m.b);
  svg.append(node('rect', { x: m.l, y: m.t, width: w - m.l - m.r, height: h - m.t - m.b, class: 'plot' }));
  for (const v of [y0, (y0 + y1) / 2, y1]) {
    svg.append(node('line', { x1: m.l, x2: w - m.r, y1: Y(v), y2: Y(v), class: 'grid' }));
    const t = node('text', { x: m.l - 4, y: Y(v) + 3, 'text-anchor': 'end', class: 'tick' });
    t.textContent = Math.abs(v) >= 10 ? v.toFixed(0) : v.toFixed(2);
    svg.append(t);
  }
  if (options.xTicks) {
    options.xTicks.forEach((label, i) => {
      const t = node('text', { x: X(i), y: h - m.b + 12, 'text-anchor': 'middle', class: 'tick' });
      t.textContent = label;
      svg.append(t);
    });
  }
  if (options.xLabel) {
    const t = node('text', { x: w - m.r, y: h - m.b + 12, 'text-anchor': 'end', class: 'tick' });
    t.textContent = options.xTicks ? '' : `${options.xLabel} ${x1.toFixed(0)}`;
    svg.append(t);
  }
  series.forEach((s, i) => {
    if (s.points.length > 0) {
      const d = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(' ');
      svg.append(node('path', { d, stroke: s.colour, fill: 'none', 'stroke-width': 2, ...(s.dashed ? { 'stroke-dasharray': '4 3' } : {}) }));
    }
    // Legend in the top margin, one entry per series left to right.
    const lx = m.l + i * Math.floor((w - m.l - m.r) / series.length);
    const ly = 14;
    svg.append(node('rect', { x: lx, y: ly - 5, width: 10, height: 3, fill: s.colour }));
    const t = node('text', { x: lx + 14, y: ly - 1, class: 'legend' });
    t.textContent = s.name;
    svg.append(t);
  });
}

/** Paints a heat map (rows × cols, values ≥ 0) over a grey image on a canvas. */
export function drawHeatmap(canvas: HTMLCanvasElement, image: Float32Array, side: number, heat: Float32Array, grid: [number, number]): void {
  const ctx = canvas.getContext('2d')!;
  const n = canvas.width;
  const img = ctx.createImageData(n, n);
  const max = Math.max(...heat, 1e-12);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const g = image[Math.floor((y * side) / n) * side + Math.floor((x * side) / n)]!;
      const a = (0.8 * heat[Math.floor((y * grid[0]) / n) * grid[1] + Math.floor((x * grid[1]) / n)]!) / max;
      const o = 4 * (y * n + x);
      // Grey digit under a warm overlay whose opacity is the attention.
      img.data[o] = Math.round(g * (1 - a) + 255 * a);
      img.data[o + 1] = Math.round(g * (1 - a) + 140 * a);
      img.data[o + 2] = Math.round(g * (1 - a));
      img.data[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
}
