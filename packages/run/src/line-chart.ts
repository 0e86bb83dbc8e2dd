// A dependency-free SVG line chart for the HTML report: axes, ticks, legend and hover titles, no scripts.

/** One point series of a chart. */
export interface ChartSeries {
  /** Legend label. */
  name: string;
  /** `[x, y]` points in drawing order; non-finite values are skipped. */
  points: Array<[number, number]>;
}

/** What {@link lineChart} draws. */
export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
  /** Labels of integer x positions (categorical axes, e.g. layer names); default: numeric ticks. */
  xLabels?: string[];
  /** Include these y values in the axis range (e.g. 0 and 100 for percentages). */
  yInclude?: number[];
}

// Colour-blind-safe palette (Okabe–Ito), so heads stay apart in print and for every reader.
const COLOURS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9'];
const W = 600;
const H = 340;
const M = { left: 64, right: 16, bottom: 64 };
const LEGEND_ROW = 16;

/** Legend entries laid out left to right under the title, wrapping: `[x, row]` of each, and the number of rows. */
function legendLayout(names: string[], width: number): { at: Array<[number, number]>; rows: number } {
  const at: Array<[number, number]> = [];
  let x = 0;
  let row = 0;
  for (const name of names) {
    // About 6.5 px per character at the legend's 12 px font, plus the colour swatch.
    const w = 28 + Math.ceil(name.length * 6.5) + 16;
    if (x > 0 && x + w > width) {
      x = 0;
      row++;
    }
    at.push([x, row]);
    x += w;
  }
  return { at, rows: names.length === 0 ? 0 : row + 1 };
}

/** Text safe inside HTML/SVG elements and attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** A number as a short label: 4 significant digits, exponent form for very small or large magnitudes. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e6) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

/** About five round tick values (1, 2 or 5 × 10^k apart) covering [lo, hi]. */
function ticks(lo: number, hi: number): number[] {
  if (hi - lo < 1e-12 * Math.max(1, Math.abs(hi))) return [lo];
  const raw = (hi - lo) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return out;
}

/** A self-contained SVG line chart (axes, ticks, legend, points with hover titles); no scripts, no external references. */
export function lineChart(o: LineChartOptions): string {
  const pts = o.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const parts: string[] = [
    `<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(o.title)}">`,
    `<text x="${W / 2}" y="20" text-anchor="middle" class="title">${escapeHtml(o.title)}</text>`,
  ];
  if (pts.length === 0) {
    parts.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="empty">no data</text></svg>`);
    return parts.join('');
  }
  let [x0, x1] = [Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))];
  const ys = [...pts.map((p) => p[1]), ...(o.yInclude ?? [])];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  if (y0 === y1) [y0, y1] = y0 === 0 ? [-1, 1] : [y0 - Math.abs(y0) * 0.1, y1 + Math.abs(y1) * 0.1];
  const pad = (y1 - y0) * 0.05;
  y0 -= o.yInclude?.includes(y0) ? 0 : pad;
  y1 += o.yInclude?.includes(y1) ? 0 : pad;
  const pw = W - M.left - M.right;
  const legend = legendLayout(o.series.map((x) => x.name), pw);
  const top = 32 + legend.rows * LEGEND_ROW + 8;
  const ph = H - top - M.bottom;
  const sx = (x: number) => M.left + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number) => top + ph - ((y - y0) / (y1 - y0)) * ph;
  const r2 = (v: number) => v.toFixed(2);
  parts.push(`<rect x="${M.left}" y="${top}" width="${pw}" height="${ph}" class="plot"/>`);
  for (const t of ticks(y0, y1)) {
    parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${r2(sy(t))}" y2="${r2(sy(t))}" class="grid"/>`);
    parts.push(`<text x="${M.left - 6}" y="${r2(sy(t) + 4)}" text-anchor="end" class="tick">${formatNumber(t)}</text>`);
  }
  const xTicks: Array<[number, string]> = o.xLabels
    ? o.xLabels.map((l, i) => [i, l])
    : ticks(x0, x1)
        .filter((t) => Number.isInteger(t) || x1 - x0 < 5)
        .map((t) => [t, formatNumber(t)]);
  const rotate = o.xLabels !== undefined && o.xLabels.length > 6;
  for (const [t, label] of xTicks) {
    const x = r2(sx(t));
    parts.push(`<line x1="${x}" x2="${x}" y1="${top + ph}" y2="${top + ph + 4}" class="axis"/>`);
    parts.push(
      rotate
        ? `<text x="${x}" y="${top + ph + 14}" text-anchor="end" transform="rotate(-35 ${x} ${top + ph + 14})" class="tick">${escapeHtml(label)}</text>`
        : `<text x="${x}" y="${top + ph + 16}" text-anchor="middle" class="tick">${escapeHtml(label)}</text>`,
    );
  }
  parts.push(`<text x="${M.left + pw / 2}" y="${H - 8}" text-anchor="middle" class="label">${escapeHtml(o.xLabel)}</text>`);
  parts.push(`<text x="14" y="${top + ph / 2}" text-anchor="middle" transform="rotate(-90 14 ${top + ph / 2})" class="label">${escapeHtml(o.yLabel)}</text>`);
  o.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const p = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (p.length === 0) return;
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${p.map(([x, y]) => `${r2(sx(x))},${r2(sy(y))}`).join(' ')}"/>`);
    for (const [x, y] of p) {
      const xl = o.xLabels?.[x] ?? formatNumber(x);
      parts.push(`<circle cx="${r2(sx(x))}" cy="${r2(sy(y))}" r="3" fill="${colour}"><title>${escapeHtml(`${s.name} @ ${xl}: ${formatNumber(y)}`)}</title></circle>`);
    }
    const [lx, row] = legend.at[i]!;
    const ly = 44 + row * LEGEND_ROW;
    parts.push(`<line x1="${M.left + lx}" x2="${M.left + lx + 20}" y1="${ly - 4}" y2="${ly - 4}" stroke="${colour}" stroke-width="3"/>`);
    parts.push(`<text x="${M.left + lx + 26}" y="${ly}" class="legend">${escapeHtml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
