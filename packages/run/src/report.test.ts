import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeitError } from '@deitjs/core';
import { afterAll, describe, expect, it } from 'vitest';
import { writeRunReport } from './report.js';
import { RUN_FILES } from './run-files.js';
import { SAMPLE_RUN } from './test/sample-run.js';

const root = mkdtempSync(join(tmpdir(), 'deit-run-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// An ImageFolder path with markup in it: the report must escape it.
const RUN = { ...SAMPLE_RUN, data: { data: 'digits/<b>&co', dataSet: 'imagefolder', seed: 17 }, teacherRun: 'runs/teacher' };

const LRS = [2.5e-4, 5e-4, 1.25e-4];
const epoch = (e: number, top1: number, cls: number, dist: number) => ({
  type: 'epoch',
  epoch: e,
  update: (e + 1) * 15,
  trainLoss: 2.3 - 0.5 * e,
  trainLossParts: { base: 2.2 - 0.5 * e, distill: 2.4 - 0.5 * e },
  lr: LRS[e],
  seconds: 12.5,
  eval: { count: 400, loss: 1.9 - 0.4 * e, top1, top5: 90 + e, cls: { top1: cls, top5: 90 }, dist: { top1: dist, top5: 91 }, teacherAgreement: { output: 80 + e, cls: 70, dist: 85 } },
  best: true,
});
const METRICS = [epoch(0, 41.25, 40, 42.5), epoch(1, 90.5, 89.75, 90.25), epoch(2, 87.5, 86, 88.25)];

const ANALYSIS = {
  format: 'deitjs-analysis/1',
  model: RUN.model,
  weights: 'model.safetensors',
  run: 'x',
  data: 'mnist test (seed 17, 40 per class)',
  count: 400,
  layers: [
    { name: 'pos_drop', cosine: 0.0616, std: 0 },
    { name: 'blocks.0', cosine: 0.5651, std: 0.01 },
    { name: 'blocks.1', cosine: 0.7372, std: 0.01 },
    { name: 'norm', cosine: 0.9442, std: 0.02 },
  ],
  headAgreement: 91.3,
  top1: { output: 87.5, cls: 86, dist: 88.25 },
  teacher: { name: 'resnet_mnist', run: 'runs/teacher', agreement: { output: 93.5, cls: 89, dist: 96.75 }, top1: 97.25 },
};

let n = 0;
function runDir(files: Record<string, string>): string {
  const dir = join(root, `run${n++}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
const jsonl = (records: object[]) => records.map((r) => `${JSON.stringify(r)}\n`).join('');
const svgs = (html: string): string[] => html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
const polylines = (svg: string): Array<Array<[number, number]>> =>
  [...svg.matchAll(/<polyline[^>]* points="([^"]*)"/g)].map((m) => m[1]!.split(' ').map((p) => p.split(',').map(Number) as [number, number]));

describe('writeRunReport', () => {
  it('writes a self-contained report.html with a chart per curve, the analysis plot and the numbers', () => {
    const dir = runDir({ 'run.json': JSON.stringify(RUN), 'metrics.jsonl': jsonl(METRICS), 'analysis.json': JSON.stringify(ANALYSIS) });
    const file = writeRunReport(dir);
    expect(file).toBe(join(dir, RUN_FILES.report));
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const html = readFileSync(file, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    // Self-contained: nothing fetched, nothing run.
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|\shref=|@import|url\(/i);
    const charts = svgs(html);
    expect(charts).toHaveLength(4);
    const [loss, lr, top1, cosine] = charts as [string, string, string, string];
    expect(loss).toContain('Training loss');
    expect(lr).toContain('Learning rate');
    expect(top1).toContain('Eval top-1 accuracy');
    expect(cosine).toContain('Cosine similarity of the cls and dist tokens');
    // total + the two loss parts; output + both heads; one cosine series; one point per epoch / layer.
    expect(polylines(loss).map((p) => p.length)).toEqual([3, 3, 3]);
    expect(polylines(top1).map((p) => p.length)).toEqual([3, 3, 3]);
    expect(polylines(cosine).map((p) => p.length)).toEqual([4]);
    for (const name of ['base', 'distill', 'cls head', 'dist head', 'mean of heads (eval output)']) expect(charts.join('')).toContain(`>${name}</text>`);
    // Points are placed by value: x grows with the epoch, a larger value is drawn higher (smaller y).
    const [lrLine] = polylines(lr) as [Array<[number, number]>];
    expect(lrLine[0]![0]).toBeLessThan(lrLine[1]![0]);
    expect(lrLine[1]![0]).toBeLessThan(lrLine[2]![0]);
    const byY = [0, 1, 2].sort((a, b) => lrLine[a]![1] - lrLine[b]![1]);
    const byLr = [0, 1, 2].sort((a, b) => LRS[b]! - LRS[a]!);
    expect(byY).toEqual(byLr);
    const [cosLine] = polylines(cosine) as [Array<[number, number]>];
    for (let i = 1; i < cosLine.length; i++) expect(cosLine[i]![1]).toBeLessThan(cosLine[i - 1]![1]);
    expect(cosine).toContain('>blocks.1</text>');
    // The numbers.
    expect(html).toContain('<th>final eval top-1 (epoch 2)</th><td>87.50%</td>');
    expect(html).toContain('<th>final cls / dist head top-1</th><td>86.00% / 88.25%</td>');
    expect(html).toContain('<th>best eval top-1 (epoch 1)</th><td>90.50%</td>');
    expect(html).toContain('<th>final agreement with the teacher</th><td>82.00%</td>');
    expect(html).toContain('<th>training time</th><td>37.5 s</td>');
    expect(html).toContain('<th>heads agree (argmax cls = argmax dist)</th><td>91.30%</td>');
    expect(html).toContain('<th>agreement with teacher resnet_mnist: output / cls / dist</th><td>93.50% / 89.00% / 96.75%</td>');
    expect(html).toContain('<th>teacher top-1</th><td>97.25%</td>');
    expect(html).toContain('<th>norm</th><td>0.9442</td>');
    expect(lr).toContain('<title>lr @ 1: 5.00e-4</title>');
    // run.json summary, escaped.
    expect(html).toContain('<th>model</th><td>deit_mini_distilled_patch8_32</td>');
    expect(html).toContain('<th>data.seed</th><td>17</td>');
    expect(html).toContain('<th>normalization.std</th><td>0.229, 0.224, 0.225</td>');
    expect(html).toContain('<td>digits/&lt;b&gt;&amp;co</td>');
    expect(html).not.toContain('<b>&co');
  });

  it('without analysis.json or eval results: the training charts and a hint; a plain model plots one head', () => {
    const plain = METRICS.map((m) => ({ ...m, trainLossParts: undefined, eval: { ...m.eval, cls: undefined, dist: undefined, teacherAgreement: undefined } }));
    const dir = runDir({ 'run.json': JSON.stringify({ ...RUN, distilled: false }), 'metrics.jsonl': jsonl(plain) });
    const html = readFileSync(writeRunReport(dir), 'utf8');
    const charts = svgs(html);
    expect(charts).toHaveLength(3);
    expect(polylines(charts[0]!)).toHaveLength(1);
    expect(polylines(charts[2]!)).toHaveLength(1);
    expect(charts[2]).toContain('>output</text>');
    expect(html).toContain('No analysis.json');
    expect(html).not.toMatch(/https?:\/\//i);
    // A run that has not finished an epoch yet still gets a report.
    const fresh = runDir({ 'run.json': JSON.stringify(RUN) });
    expect(readFileSync(writeRunReport(fresh), 'utf8')).toContain('No epochs recorded yet');
  });

  it('rewrites the report when called again (after analyze)', () => {
    const dir = runDir({ 'run.json': JSON.stringify(RUN), 'metrics.jsonl': jsonl(METRICS) });
    expect(svgs(readFileSync(writeRunReport(dir), 'utf8'))).toHaveLength(3);
    writeFileSync(join(dir, 'analysis.json'), JSON.stringify(ANALYSIS));
    expect(svgs(readFileSync(writeRunReport(dir), 'utf8'))).toHaveLength(4);
  });

  it('names the directory, file and line at fault, writing nothing', () => {
    const missing = join(root, 'absent');
    expect(() => writeRunReport(missing)).toThrow(new DeitError('E_RUN', `${missing}: no such run directory`));
    const empty = runDir({});
    expect(() => writeRunReport(empty)).toThrow(/neither run\.json nor metrics\.jsonl/);
    const badLine = runDir({ 'run.json': JSON.stringify(RUN), 'metrics.jsonl': `${JSON.stringify(METRICS[0])}\n{"type": "epo` });
    expect(() => writeRunReport(badLine)).toThrow(/metrics\.jsonl: line 2 is not valid JSON/);
    const badRun = runDir({ 'run.json': '[1' });
    expect(() => writeRunReport(badRun)).toThrow(/run\.json: is not valid JSON/);
    const badAnalysis = runDir({ 'run.json': JSON.stringify(RUN), 'analysis.json': JSON.stringify({ layers: 3 }) });
    expect(() => writeRunReport(badAnalysis)).toThrow(/analysis\.json: "layers" must be a list/);
    for (const d of [empty, badLine, badRun, badAnalysis]) expect(existsSync(join(d, RUN_FILES.report))).toBe(false);
  });
});
