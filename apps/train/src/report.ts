import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DeitError, writeFileAtomic } from '@deitjs/core';

/** The report file written into a run directory. */
export const REPORT_FILE = 'report.html';

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

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN);

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new DeitError('E_RUN', `${file}: is not valid JSON (${(err as Error).message})`);
  }
}

function readEpochs(file: string): Json[] {
  const out: Json[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      let rec: unknown;
      try {
        rec = JSON.parse(line);
      } catch (err) {
        throw new DeitError('E_RUN', `${file}: line ${i + 1} is not valid JSON (${(err as Error).message})`);
      }
      if (isObject(rec) && rec.type === 'epoch') {
        if (!Number.isInteger(rec.epoch)) throw new DeitError('E_RUN', `${file}: line ${i + 1}: an epoch record needs an integer "epoch"`);
        out.push(rec);
      }
    });
  return out;
}

function table(rows: Array<[string, string]>): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`;
}

/** run.json as key/value rows, nested objects flattened (`data.seed`), arrays joined. */
function summaryRows(run: Json, prefix = ''): Array<[string, string]> {
  return Object.entries(run).flatMap(([k, v]): Array<[string, string]> => {
    if (isObject(v)) return summaryRows(v, `${prefix}${k}.`);
    return [[`${prefix}${k}`, Array.isArray(v) ? v.map((x) => (typeof x === 'number' ? formatNumber(x) : String(x))).join(', ') : String(v)]];
  });
}

const pct = (v: unknown): string => (Number.isFinite(num(v)) ? `${num(v).toFixed(2)}%` : '–');

function trainingSection(epochs: Json[]): string {
  if (epochs.length === 0) return '<section><h2>Training</h2><p>No epochs recorded yet (metrics.jsonl is empty or absent).</p></section>';
  const at = (pick: (r: Json) => unknown): Array<[number, number]> => epochs.map((r) => [num(r.epoch), num(pick(r))]);
  const partNames = [...new Set(epochs.flatMap((r) => (isObject(r.trainLossParts) ? Object.keys(r.trainLossParts) : [])))];
  const loss = lineChart({
    title: 'Training loss',
    xLabel: 'epoch',
    yLabel: 'loss',
    series: [
      { name: 'total', points: at((r) => r.trainLoss) },
      ...partNames.map((p) => ({ name: p, points: at((r) => (isObject(r.trainLossParts) ? r.trainLossParts[p] : undefined)) })),
    ],
  });
  const lr = lineChart({ title: 'Learning rate (last update of the epoch)', xLabel: 'epoch', yLabel: 'learning rate', series: [{ name: 'lr', points: at((r) => r.lr) }], yInclude: [0] });
  const evals = epochs.filter((r) => isObject(r.eval));
  const ev = (r: Json) => r.eval as Json;
  const head = (r: Json, h: 'cls' | 'dist') => (isObject(ev(r)[h]) ? (ev(r)[h] as Json).top1 : undefined);
  const distilled = evals.some((r) => isObject(ev(r).cls));
  const top1 = lineChart({
    title: 'Eval top-1 accuracy',
    xLabel: 'epoch',
    yLabel: 'top-1 (%)',
    series: [
      { name: distilled ? 'mean of heads (eval output)' : 'output', points: evals.map((r) => [num(r.epoch), num(ev(r).top1)]) },
      ...(distilled
        ? [
            { name: 'cls head', points: evals.map((r): [number, number] => [num(r.epoch), num(head(r, 'cls'))]) },
            { name: 'dist head', points: evals.map((r): [number, number] => [num(r.epoch), num(head(r, 'dist'))]) },
          ]
        : []),
    ],
    yInclude: [0, 100],
  });
  const last = epochs[epochs.length - 1]!;
  const rows: Array<[string, string]> = [
    ['epochs recorded', String(epochs.length)],
    ['optimiser updates', String(last.update ?? '–')],
    ['final training loss', formatNumber(num(last.trainLoss))],
    ['training time', `${formatNumber(epochs.reduce((s, r) => s + (Number.isFinite(num(r.seconds)) ? num(r.seconds) : 0), 0))} s`],
  ];
  if (evals.length > 0) {
    const lastEval = evals[evals.length - 1]!;
    const best = evals.reduce((b, r) => (num(ev(r).top1) > num(ev(b).top1) ? r : b));
    rows.push([`final eval top-1 (epoch ${lastEval.epoch})`, pct(ev(lastEval).top1)]);
    if (distilled) rows.push(['final cls / dist head top-1', `${pct(head(lastEval, 'cls'))} / ${pct(head(lastEval, 'dist'))}`]);
    rows.push([`best eval top-1 (epoch ${best.epoch})`, pct(ev(best).top1)]);
    rows.push(['final eval top-5', pct(ev(lastEval).top5)]);
    const ta = ev(lastEval).teacherAgreement;
    if (isObject(ta)) rows.push(['final agreement with the teacher', pct(ta.output)]);
  }
  return `<section><h2>Training</h2>${table(rows)}<div class="charts">${loss}${lr}${top1}</div></section>`;
}

function analysisSection(a: Json, file: string): string {
  if (!Array.isArray(a.layers)) throw new DeitError('E_RUN', `${file}: "layers" must be a list of {name, cosine}`);
  const layers = (a.layers as unknown[]).filter(isObject);
  const cosine = lineChart({
    title: 'Cosine similarity of the cls and dist tokens',
    xLabel: 'layer',
    yLabel: 'cos(cls, dist)',
    series: [{ name: 'mean over images', points: layers.map((l, i) => [i, num(l.cosine)]) }],
    xLabels: layers.map((l) => String(l.name)),
    yInclude: [0, 1],
  });
  const rows: Array<[string, string]> = [
    ['images', String(a.count ?? '–')],
    ['data', String(a.data ?? '–')],
    ['heads agree (argmax cls = argmax dist)', pct(a.headAgreement)],
  ];
  if (isObject(a.top1)) rows.push(['top-1: output / cls / dist', `${pct(a.top1.output)} / ${pct(a.top1.cls)} / ${pct(a.top1.dist)}`]);
  if (isObject(a.teacher) && isObject(a.teacher.agreement)) {
    const t = a.teacher;
    const ag = t.agreement as Json;
    rows.push([`agreement with teacher ${String(t.name)}: output / cls / dist`, `${pct(ag.output)} / ${pct(ag.cls)} / ${pct(ag.dist)}`]);
    rows.push(['teacher top-1', pct(t.top1)]);
  }
  const layerRows: Array<[string, string]> = layers.map((l) => [String(l.name), formatNumber(num(l.cosine))]);
  return `<section><h2>Distillation token analysis</h2>${table(rows)}<div class="charts">${cosine}${table(layerRows)}</div></section>`;
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1280px;color:#222;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0}th,td{padding:3px 10px;border-bottom:1px solid #eee;text-align:left;font-variant-numeric:tabular-nums}
th{font-weight:600;color:#444}.charts{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
svg.chart{background:#fff;border:1px solid #ddd}.plot{fill:#fafafa;stroke:#999}.grid{stroke:#e4e4e4}.axis{stroke:#999}
.tick{font-size:11px;fill:#555}.label{font-size:12px;fill:#333}.title{font-size:14px;font-weight:600}.legend{font-size:12px}.empty{fill:#999}`;

/**
 * Writes `report.html` into a deit-train run directory and returns its path: the run.json summary, training curves
 * from metrics.jsonl (loss and its parts, learning rate, eval top-1 per head) and, when deit-eval analyze has written
 * analysis.json, the cls/dist cosine per layer and the agreement numbers. Self-contained (inline CSS and SVG, no
 * scripts, no external references) and written atomically. An unreadable file throws a DeitError naming it.
 */
export function writeRunReport(runDir: string): string {
  if (!existsSync(runDir) || !statSync(runDir).isDirectory()) throw new DeitError('E_RUN', `${runDir}: no such run directory`);
  const runFile = join(runDir, 'run.json');
  const metricsFile = join(runDir, 'metrics.jsonl');
  const analysisFile = join(runDir, 'analysis.json');
  const run = existsSync(runFile) ? readJson(runFile) : undefined;
  if (run !== undefined && !isObject(run)) throw new DeitError('E_RUN', `${runFile}: must hold a JSON object`);
  if (run === undefined && !existsSync(metricsFile)) throw new DeitError('E_RUN', `${runDir}: neither run.json nor metrics.jsonl: nothing to report`);
  const epochs = existsSync(metricsFile) ? readEpochs(metricsFile) : [];
  const analysis = existsSync(analysisFile) ? readJson(analysisFile) : undefined;
  if (analysis !== undefined && !isObject(analysis)) throw new DeitError('E_RUN', `${analysisFile}: must hold a JSON object`);
  const title = `${run?.model ?? 'deit-train run'} — ${runDir}`;
  const sections = [
    run ? `<section><h2>Run</h2>${table(summaryRows(run))}</section>` : '',
    trainingSection(epochs),
    analysis ? analysisSection(analysis, analysisFile) : '<section><h2>Distillation token analysis</h2><p>No analysis.json: run <code>deit-eval analyze --run DIR</code> on a distilled student to add it.</p></section>',
  ];
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${sections.join('\n')}
</body></html>
`;
  const file = join(runDir, REPORT_FILE);
  writeFileAtomic(file, [html]);
  return file;
}
