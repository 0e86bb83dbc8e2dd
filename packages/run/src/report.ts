import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DeitError, writeFileAtomic } from '@deitjs/core';
import { jobSection } from './job-section.js';
import { escapeHtml, formatNumber, lineChart } from './line-chart.js';
import { RUN_FILES } from './run-files.js';

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
 * Writes `report.html` into a run directory and returns its path: the run.json summary, training curves from
 * metrics.jsonl (loss and its parts, learning rate, eval top-1 per head) and, when the token analysis has written
 * analysis.json, the cls/dist cosine per layer and the agreement numbers. Self-contained (inline CSS and SVG, no
 * scripts, no external references) and written atomically. An unreadable file throws a DeitError naming it.
 */
export function writeRunReport(runDir: string): string {
  if (!existsSync(runDir) || !statSync(runDir).isDirectory()) throw new DeitError('E_RUN', `${runDir}: no such run directory`);
  const runFile = join(runDir, RUN_FILES.info);
  const metricsFile = join(runDir, RUN_FILES.metrics);
  const analysisFile = join(runDir, RUN_FILES.analysis);
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
    jobSection(runDir, readEpochs),
    analysis ? analysisSection(analysis, analysisFile) : '<section><h2>Distillation token analysis</h2><p>No analysis.json: run <code>deit-eval analyze --run DIR</code> on a distilled student to add it.</p></section>',
  ];
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${sections.join('\n')}
</body></html>
`;
  const file = join(runDir, RUN_FILES.report);
  writeFileAtomic(file, [html]);
  return file;
}
