#!/usr/bin/env node
// Inference throughput of the CNN teachers DeiT distils from: RegNetY-16GF (regnety_160) and ResNet-50 at
// 224 px, batch 8, random weights, through Teacher.predict (eval mode, BatchNorm folded into the convs).
// Runs against the built dist: `npx turbo run build --filter=@deitjs/teachers` (or tsup in core and here) first.
//
//   node packages/teachers/scripts/bench-teachers.mjs [--smoke] [--backend auto|wasm|cpu|tensorflow]
//        [--batch 8] [--size 224] [--iters 3] [--models regnety_160,resnet50]
// --smoke: regnety_002 and resnet18 at 32 px, batch 2, one timed iteration (checks the script runs).
import { parseArgs } from 'node:util';
import { describeBackend, initBackend, tf } from '@deitjs/core';
import { createTeacher } from '@deitjs/teachers';

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    backend: { type: 'string', default: process.env.DEIT_BACKEND ?? 'auto' },
    batch: { type: 'string' },
    size: { type: 'string' },
    iters: { type: 'string' },
    models: { type: 'string' },
    json: { type: 'string' },
  },
});
const smoke = args.smoke;
const batch = Number(args.batch ?? (smoke ? 2 : 8));
const size = Number(args.size ?? (smoke ? 32 : 224));
const iters = Number(args.iters ?? (smoke ? 1 : 3));
const models = (args.models ?? (smoke ? 'regnety_002,resnet18' : 'regnety_160,resnet50')).split(',');

const report = await initBackend(args.backend);
console.log(describeBackend(report));
console.log(`batch ${batch}, ${size}×${size} px, 1 warm-up + ${iters} timed iterations per model\n`);

const rows = [];
for (const name of models) {
  const t0 = performance.now();
  const teacher = createTeacher(name, { seed: 0 });
  const buildMs = performance.now() - t0;
  const x = tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', 1);
  const before = tf.memory().numTensors;
  const run = () => {
    const y = teacher.predict(x);
    y.dataSync();
    y.dispose();
  };
  const w0 = performance.now();
  run();
  const warmMs = performance.now() - w0;
  const times = [];
  for (let i = 0; i < iters; i++) {
    const s = performance.now();
    run();
    times.push(performance.now() - s);
  }
  if (tf.memory().numTensors !== before) throw new Error(`${name}: predict leaked ${tf.memory().numTensors - before} tensors`);
  const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)];
  rows.push({
    model: name,
    params: `${(teacher.model.numParams() / 1e6).toFixed(2)}M`,
    'ms/batch (median)': median.toFixed(0),
    'images/s': ((batch * 1000) / median).toFixed(2),
    'warm-up ms': warmMs.toFixed(0),
    'build ms': buildMs.toFixed(0),
  });
  x.dispose();
  teacher.dispose();
}

const cols = Object.keys(rows[0]);
const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(width[i])).join(' | ')} |`;
console.log(line(cols));
console.log(`|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(cols.map((c) => r[c])));
if (args.json) {
  // Machine-readable copy for the root bench (scripts/bench.mjs); temp file + rename so a reader never sees half of it.
  const { writeFileSync, renameSync } = await import('node:fs');
  const tmp = `${args.json}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ batch, size, iters, rows }, null, 2)}\n`);
  renameSync(tmp, args.json);
}
