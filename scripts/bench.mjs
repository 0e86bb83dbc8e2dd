#!/usr/bin/env node
// `npm run bench`: the deitjs benchmark. Runs each workload in its own process (so peak RSS is per workload),
// prints tables and writes bench-results/bench.json. Both engines side by side: inference on TF.js and on ONNX
// Runtime (`deit-eval bench --engine onnx`), training with the frozen teacher on each (`--teacher-engine`). `--smoke` runs tiny sizes (for CI: it checks that the
// benchmark runs, it asserts no timing). Reference figures: PyTorch 1.13 + timm on the same 2-core machine,
// glibc malloc tuned (shared/reference/tfjs-notes.md).
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    backend: { type: 'string', default: process.env.DEIT_BACKEND ?? 'wasm' },
    steps: { type: 'string' },
    only: { type: 'string' },
    json: { type: 'string', default: join(root, 'bench-results', 'bench.json') },
    'data-parallel': { type: 'string' },
    // Only the rows whose label matches (e.g. --match 'patch16_224.*onnx').
    match: { type: 'string' },
  },
});
const match = args.match ? new RegExp(args.match) : null;
// Training threads: wasm runs one thread per backend, so by default every core gets a data-parallel replica
// (`--data-parallel 1` measures one thread). Native TF (tfjs-node) threads on its own.
const threads = args['data-parallel'] ?? String(args.backend === 'wasm' || args.backend === 'cpu' ? Math.min(availableParallelism(), 8) : 1);
const smoke = args.smoke;
const steps = args.steps ?? (smoke ? '1' : '5');
const evalCli = join(root, 'apps', 'eval', 'dist', 'cli.js');

// PyTorch training images/s (forward, backward, AdamW), same machine (tfjs-notes.md).
const PYTORCH = {
  'deit_micro_distilled_patch4_32|none|128': 1176,
  'deit_tiny_distilled_patch4_32|none|128': 45.7,
  'deit_tiny_distilled_patch16_224|none|32': 13.5,
  'deit_tiny_distilled_patch16_224|resnet50|32': 7.0,
  'deit_tiny_distilled_patch16_224|regnety_160|32': 3.2,
  'inference|deit_tiny_distilled_patch16_224|64': 40.6,
};

// engine = what computes the student's step (tfjs: TF.js with data-parallel replicas; onnx: one ONNX Runtime graph, its
// own threads, so one process); teacherEngine = where the frozen teacher runs. The onnx-engine rows take the teacher on
// ONNX Runtime too; the tfjs rows of DeiT-Ti 224 have it on both engines (the targets of the ONNX issue).
const TRAIN_ROWS = smoke
  ? [
      { model: 'deit_micro_distilled_patch4_32', batch: 4, teacher: null, engine: 'tfjs' },
      { model: 'deit_micro_distilled_patch4_32', batch: 4, teacher: 'resnet_mnist', teacherEngine: 'tfjs', engine: 'tfjs' },
      { model: 'deit_micro_distilled_patch4_32', batch: 4, teacher: 'resnet_mnist', teacherEngine: 'onnx', engine: 'tfjs' },
      { model: 'deit_micro_distilled_patch4_32', batch: 4, teacher: 'resnet_mnist', teacherEngine: 'onnx', engine: 'onnx' },
    ]
  : ['deit_micro_distilled_patch4_32|128', 'deit_tiny_distilled_patch4_32|128', 'deit_tiny_distilled_patch16_224|32'].flatMap((mb) => {
      const [model, batch] = mb.split('|');
      const b = Number(batch);
      const tfjs = [null, 'resnet50', 'regnety_160'].flatMap((teacher) =>
        teacher === null
          ? [{ model, batch: b, teacher, engine: 'tfjs' }]
          : (model.endsWith('_224') ? ['tfjs', 'onnx'] : ['tfjs']).map((teacherEngine) => ({ model, batch: b, teacher, teacherEngine, engine: 'tfjs' })),
      );
      const onnx = [null, 'resnet50', 'regnety_160'].map((teacher) => ({ model, batch: b, teacher, ...(teacher ? { teacherEngine: 'onnx' } : {}), engine: 'onnx' }));
      return [...tfjs, ...onnx];
    });
const INFERENCE_ROWS = (smoke ? [{ model: 'deit_micro_distilled_patch4_32', batch: 4 }] : [{ model: 'deit_tiny_distilled_patch16_224', batch: 64 }]).flatMap((r) =>
  ['tfjs', 'onnx'].map((engine) => ({ ...r, engine })),
);
const trainLabel = (row) => `train ${row.model} b${row.batch} on ${row.engine}${row.teacher ? ` + ${row.teacher} (teacher on ${row.teacherEngine})` : ''}`;
const inferenceLabel = (row) => `inference ${row.model} b${row.batch} on ${row.engine}`;

function run(cmd, argv, label) {
  process.stderr.write(`bench: ${label} …\n`);
  const r = spawnSync(cmd, argv, { cwd: root, encoding: 'utf8', env: { ...process.env, DEIT_BACKEND: args.backend }, maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    // A workload that cannot run here (e.g. out of wasm memory) is reported in the table, not fatal to the others.
    const why = (r.stderr.trim().split('\n').filter(Boolean).at(-1) ?? `signal ${r.signal}`).slice(0, 160);
    process.stderr.write(`bench: ${label} failed (exit ${r.status ?? r.signal}): ${why}\n`);
    if (smoke) throw new Error(`${label} failed`);
    return { error: why };
  }
  return JSON.parse(r.stdout);
}

const fmt = (v, d = 1) => (v === undefined || v === null ? '–' : Number(v).toFixed(d));
const ratioOf = (r) => (r.ratio === null || r.ratio === undefined ? '–' : fmt(r.ratio, 2));
function table(header, rows) {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => String(c).padEnd(w[i])).join('  ').trimEnd();
  return [line(header), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n');
}

const results = { backend: args.backend, dataParallel: Number(threads), smoke, steps: Number(steps), date: new Date().toISOString(), training: [], inference: [] };
const only = args.only ? new Set(args.only.split(',')) : null;

if (!only || only.has('training')) {
  for (const row of TRAIN_ROWS) {
    if (match && !match.test(trainLabel(row))) continue;
    const argv = [evalCli, 'bench', '--model', row.model, '--batch-size', String(row.batch), '--steps', steps, '--json', '--backend', args.backend, '--phases', 'train', '--engine', row.engine];
    // ONNX Runtime threads on its own: its rows run in one process (the onnx engine refuses replicas).
    argv.push('--data-parallel', row.engine === 'onnx' ? '1' : threads);
    if (row.teacher) argv.push('--teacher', row.teacher, '--distillation-type', 'hard', '--teacher-engine', row.teacherEngine);
    const r = run(process.execPath, argv, trainLabel(row));
    const ref = PYTORCH[`${row.model}|${row.teacher ?? 'none'}|${row.batch}`];
    if (r.error) {
      results.training.push({ ...row, error: r.error, pytorch: ref ?? null, tensors: { before: '–', after: '–' } });
      continue;
    }
    results.training.push({ ...row, imagesPerSecond: r.train.imagesPerSecond, msPerStep: r.train.msPerStep, peakRssMiB: r.peakRssMiB, tensors: r.tensors, pytorch: ref ?? null, ratio: ref ? r.train.imagesPerSecond / ref : null });
  }
  console.log(`\nTraining (forward + backward + AdamW${smoke ? '; smoke sizes' : ''}): engine tfjs = TF.js backend ${args.backend} with ${threads} data-parallel thread(s), onnx = the step as one ONNX Runtime graph; ${steps} timed steps`);
  console.log(
    table(
      ['model', 'batch', 'engine', 'teacher', 'teacher engine', 'img/s', 'ms/step (median)', 'PyTorch img/s', 'ratio', 'peak RSS MiB', 'tensors before→after'],
      results.training.map((r) => [r.model, r.batch, r.engine, r.teacher ?? '–', r.teacherEngine ?? '–', r.error ? 'failed' : fmt(r.imagesPerSecond), fmt(r.msPerStep, 0), r.pytorch ?? '–', ratioOf(r), fmt(r.peakRssMiB, 0), `${r.tensors.before}→${r.tensors.after}`]),
    ),
  );
  for (const r of results.training.filter((x) => x.error)) console.log(`  failed: ${trainLabel(r)}: ${r.error}`);
}

if (!only || only.has('inference')) {
  for (const row of INFERENCE_ROWS) {
    if (match && !match.test(inferenceLabel(row))) continue;
    const argv = [evalCli, 'bench', '--model', row.model, '--batch-size', String(row.batch), '--steps', steps, '--json', '--backend', args.backend, '--phases', 'inference', '--engine', row.engine];
    const r = run(process.execPath, argv, inferenceLabel(row));
    const ref = PYTORCH[`inference|${row.model}|${row.batch}`];
    if (r.error) {
      results.inference.push({ ...row, error: r.error, pytorch: ref ?? null, tensors: { before: '–', after: '–' } });
      continue;
    }
    results.inference.push({ ...row, imagesPerSecond: r.inference.imagesPerSecond, msPerStep: r.inference.msPerStep, peakRssMiB: r.peakRssMiB, tensors: r.tensors, pytorch: ref ?? null, ratio: ref ? r.inference.imagesPerSecond / ref : null });
  }
  console.log(`\nInference (eval mode): engine tfjs = TF.js backend ${args.backend}, onnx = ONNX Runtime (onnxruntime-node)`);
  console.log(
    table(
      ['model', 'batch', 'engine', 'img/s', 'ms/batch (median)', 'PyTorch img/s', 'ratio', 'peak RSS MiB', 'tensors before→after'],
      results.inference.map((r) => [r.model, r.batch, r.engine, r.error ? 'failed' : fmt(r.imagesPerSecond), fmt(r.msPerStep, 0), r.pytorch ?? '–', ratioOf(r), fmt(r.peakRssMiB, 0), `${r.tensors.before}→${r.tensors.after}`]),
    ),
  );
}

for (const [section, script, extra] of [
  ['teachers', join('packages', 'teachers', 'scripts', 'bench-teachers.mjs'), ['--backend', args.backend]],
  ['loader', join('scripts', 'bench-loader.mjs'), smoke ? [] : ['--workers', '1,2']],
  // 1,000 distilled training updates (50 under --smoke): live tensors and RSS, slope per 100 updates.
  ['soak', join('scripts', 'bench-soak.mjs'), ['--backend', args.backend]],
]) {
  if (only && !only.has(section)) continue;
  const file = join(root, 'bench-results', `${section}.json`);
  mkdirSync(dirname(file), { recursive: true });
  process.stderr.write(`bench: ${section} …\n`);
  const r = spawnSync(process.execPath, [join(root, script), ...(smoke ? ['--smoke'] : []), ...extra, '--json', file], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEIT_BACKEND: args.backend },
  });
  if (r.status !== 0) throw new Error(`${script} failed with exit code ${r.status}`);
}

mkdirSync(dirname(args.json), { recursive: true });
const tmp = `${args.json}.${process.pid}.tmp`;
writeFileSync(tmp, `${JSON.stringify(results, null, 2)}\n`);
renameSync(tmp, args.json);
console.log(`\nwrote ${args.json}`);
