import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { readJobInfo } from './job-file.js';
import { escapeHtml, lineChart } from './line-chart.js';
import { RUN_FILES } from './run-files.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN);
const pct = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}%` : '–');
const signed = (v: number): string => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${v.toFixed(2)}` : '–');

/**
 * The "side by side" section of a run's report when its folder's parent holds a `job.json` listing it (the main job):
 * each run's final top-1 (mean of heads, cls, dist), agreement with the teacher and Δ against the job's twin, and the
 * eval top-1 of every run on one chart. Empty when the run belongs to no job. `readEpochs` reads a metrics.jsonl.
 */
export function jobSection(runDir: string, readEpochs: (file: string) => Json[]): string {
  const jobDir = dirname(resolve(runDir));
  const job = readJobInfo(jobDir);
  if (job === undefined || !job.stages.some((s) => s.dir === basename(resolve(runDir)))) return '';
  const runs = job.stages.map((s) => {
    const file = join(jobDir, s.dir, RUN_FILES.metrics);
    const evals = (existsSync(file) ? readEpochs(file) : []).filter((r) => isObject(r.eval));
    return { ...s, evals, last: evals.length > 0 ? (evals[evals.length - 1]!.eval as Json) : undefined };
  });
  const twin = runs.find((r) => r.dir === job.twin)?.last;
  const head = (e: Json | undefined, h: 'cls' | 'dist'): number => (e !== undefined && isObject(e[h]) ? num((e[h] as Json).top1) : Number.NaN);
  const rows = runs.map((r) => {
    const e = r.last;
    const agreement = e !== undefined && isObject(e.teacherAgreement) ? num(e.teacherAgreement.output) : Number.NaN;
    const delta = r.dir !== job.twin && twin !== undefined && e !== undefined && isObject(e.cls) ? num(e.top1) - num(twin.top1) : Number.NaN;
    const self = r.dir === basename(resolve(runDir)) ? ' (this run)' : '';
    return `<tr><th>${escapeHtml(r.label + self)}</th><td>${pct(num(e?.top1))}</td><td>${pct(head(e, 'cls'))}</td><td>${pct(head(e, 'dist'))}</td><td>${pct(agreement)}</td><td>${signed(delta)}</td></tr>`;
  });
  const table = `<table><tr><th>run</th><th>top-1 (mean of heads)</th><th>cls head</th><th>dist head</th><th>agreement with the teacher</th><th>Δ vs twin (points)</th></tr>${rows.join('')}</table>`;
  const chart = lineChart({
    title: 'Eval top-1 of every run of the job',
    xLabel: 'epoch',
    yLabel: 'top-1 (%)',
    series: runs.map((r) => ({ name: r.label, points: r.evals.map((x): [number, number] => [num(x.epoch), num((x.eval as Json).top1)]) })),
    yInclude: [0, 100],
  });
  return `<section><h2>The job's runs side by side (seed ${job.seed})</h2><p>Same data, initialisation and batches for every student; Δ is each student's top-1 minus the twin's (one seed).</p>${table}<div class="charts">${chart}</div></section>`;
}
