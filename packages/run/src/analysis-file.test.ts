import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ANALYSIS_FORMAT, type AnalysisReport, writeAnalysis } from './analysis-file.js';
import { writeRunReport } from './report.js';
import { writeRunInfo } from './run-info.js';
import { SAMPLE_RUN } from './test/sample-run.js';

const dir = mkdtempSync(join(tmpdir(), 'deit-run-analysis-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const REPORT: AnalysisReport = {
  format: ANALYSIS_FORMAT,
  model: 'deit_mini_distilled_patch8_32',
  weights: join(dir, 'model.safetensors'),
  run: dir,
  data: 'mnist test (seed 0, 200 per class), 1000 of 2000 images',
  count: 1000,
  layers: [
    { name: 'pos_drop', cosine: 0.25, std: 0 },
    { name: 'norm', cosine: 0.5, std: 0.125 },
  ],
  headAgreement: 97.5,
  top1: { output: 90, cls: 89.5, dist: 90.25 },
};

describe('writeAnalysis', () => {
  it('writes analysis.json (indented, newline-terminated, no temp file left) and the report plots it', () => {
    const file = writeAnalysis(dir, REPORT);
    expect(file).toBe(join(dir, 'analysis.json'));
    expect(readFileSync(file, 'utf8')).toBe(`${JSON.stringify(REPORT, null, 2)}\n`);
    expect(readdirSync(dir)).toEqual(['analysis.json']);
    writeRunInfo(dir, SAMPLE_RUN);
    const html = readFileSync(writeRunReport(dir), 'utf8');
    expect(html).toContain('<th>heads agree (argmax cls = argmax dist)</th><td>97.50%</td>');
    expect(html).toContain('<th>norm</th><td>0.5</td>');
  });
});
