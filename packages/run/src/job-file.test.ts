import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeitError } from '@deitjs/core';
import { afterAll, describe, expect, it } from 'vitest';
import { type JobInfo, readJobInfo, writeJobInfo } from './job-file.js';
import { writeRunReport } from './report.js';
import { readRunInfo, writeRunInfo } from './run-info.js';
import { SAMPLE_RUN } from './test/sample-run.js';

const root = mkdtempSync(join(tmpdir(), 'deit-job-file-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const JOB: JobInfo = {
  job: 'main job',
  seed: 3,
  twin: 'student-baseline',
  stages: [
    { label: 'soft student', dir: 'student-soft' },
    { label: 'baseline (no distillation)', dir: 'student-baseline' },
  ],
};

/** One eval epoch of a distilled student with the given top-1 (mean, cls, dist). */
const epoch = (top1: number, cls: number, dist: number): string =>
  `${JSON.stringify({ type: 'epoch', epoch: 9, trainLoss: 1, lr: 1e-4, seconds: 2, eval: { top1, top5: 99, cls: { top1: cls }, dist: { top1: dist } } })}\n`;

describe('job.json and the side-by-side report', () => {
  it('round-trips job.json and refuses malformed ones, naming the file', () => {
    const dir = join(root, 'rt');
    mkdirSync(dir);
    expect(readJobInfo(dir)).toBeUndefined();
    writeJobInfo(dir, JOB);
    expect(readJobInfo(dir)).toEqual(JOB);
    for (const bad of [{ ...JOB, stages: [{ label: 'x', dir: '../elsewhere' }] }, { ...JOB, twin: 'nope' }, { ...JOB, seed: -1 }, []]) {
      writeFileSync(join(dir, 'job.json'), JSON.stringify(bad));
      expect(() => readJobInfo(dir)).toThrow(DeitError);
    }
    writeFileSync(join(dir, 'job.json'), '{');
    expect(() => readJobInfo(dir)).toThrow(new RegExp(`${join(dir, 'job.json')}: is not valid JSON`));
  });

  it("a run's report shows every run of its job with the Δ against the twin", () => {
    const dir = join(root, 'job');
    for (const s of JOB.stages) {
      mkdirSync(join(dir, s.dir), { recursive: true });
      writeRunInfo(join(dir, s.dir), { ...SAMPLE_RUN, format: 'deitjs-run/1' });
    }
    writeFileSync(join(dir, 'student-soft', 'metrics.jsonl'), epoch(88.5, 88, 87.25));
    writeFileSync(join(dir, 'student-baseline', 'metrics.jsonl'), epoch(86.25, 86.5, 9.75));
    writeJobInfo(dir, JOB);
    const html = readFileSync(writeRunReport(join(dir, 'student-soft')), 'utf8');
    expect(html).toContain("The job's runs side by side (seed 3)");
    // 88.5 − 86.25 = +2.25 points for the soft student; the twin has no Δ.
    expect(html).toContain('<tr><th>soft student (this run)</th><td>88.50%</td><td>88.00%</td><td>87.25%</td><td>–</td><td>+2.25</td></tr>');
    expect(html).toContain('<tr><th>baseline (no distillation)</th><td>86.25%</td><td>86.50%</td><td>9.75%</td><td>–</td><td>–</td></tr>');
    // A run directory outside any job has no such section.
    const alone = join(root, 'alone');
    mkdirSync(alone);
    writeRunInfo(alone, { ...SAMPLE_RUN, format: 'deitjs-run/1' });
    expect(readFileSync(writeRunReport(alone), 'utf8')).not.toContain('side by side');
  });

  it('run.json records one input channel; the eval transform must agree with it', () => {
    const dir = join(root, 'grey');
    mkdirSync(dir);
    const transform = { ...SAMPLE_RUN.preprocessing.transform, channels: 1 as const };
    writeRunInfo(dir, { ...SAMPLE_RUN, format: 'deitjs-run/1', inChans: 1, preprocessing: { ...SAMPLE_RUN.preprocessing, transform } });
    const info = readRunInfo(dir);
    expect(info.inChans).toBe(1);
    expect(info.preprocessing.transform.channels).toBe(1);
    writeFileSync(join(dir, 'run.json'), JSON.stringify({ ...SAMPLE_RUN, format: 'deitjs-run/1', inChans: 1 }));
    expect(() => readRunInfo(dir)).toThrow(/"preprocessing.transform.channels" \(absent: 3\) must match "inChans" \(1\)/);
    writeFileSync(join(dir, 'run.json'), JSON.stringify({ ...SAMPLE_RUN, format: 'deitjs-run/1', inChans: 2 }));
    expect(() => readRunInfo(dir)).toThrow(/"inChans" must be 1 or 3, got 2/);
  });
});
