#!/usr/bin/env node
// Soak benchmark (issue 16): many training updates of the micro DeiT distilled from a small CNN teacher (resnet_mnist,
// hard distillation, AdamW, EMA, gradient clipping, checkpoint-last every 100 updates), sampling TF.js's live tensor
// count and the process RSS every 10 updates. Reports the least-squares slope of each per 100 updates over the run
// after its first 10 % (warm-up: kernels compiled, allocator pools grown): a leak shows as a steady positive slope.
//
//   npm run build && node scripts/bench-soak.mjs [--smoke] [--updates N] [--batch B] [--backend wasm|cpu] [--json FILE]
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Rng, initBackend, tf, writeFileAtomic } from '@deitjs/core';
import { baseCriterion, distillationLoss } from '@deitjs/losses';
import { createModel } from '@deitjs/models';
import { createTeacher } from '@deitjs/teachers';
import { Trainer } from '@deitjs/trainer';

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    updates: { type: 'string' },
    batch: { type: 'string', default: '8' },
    backend: { type: 'string', default: process.env.DEIT_BACKEND ?? 'wasm' },
    json: { type: 'string' },
  },
});
const updates = Number(args.updates ?? (args.smoke ? 50 : 1000));
const batchSize = Number(args.batch);
const classes = 10;
const perEpoch = Math.min(100, updates);
const epochs = Math.ceil(updates / perEpoch);
const every = 10;

/** Random 32×32 RGB batches with labels, the same every epoch (seeded); the trainer disposes each batch. */
const source = {
  batchesPerEpoch: () => perEpoch,
  async *epoch(epoch) {
    for (let b = 0; b < perEpoch; b++) {
      if (epoch * perEpoch + b >= updates) return;
      const rng = new Rng(1000 + b);
      yield {
        images: tf.tensor4d(rng.uniformArray(batchSize * 32 * 32 * 3, -1, 1), [batchSize, 32, 32, 3]),
        targets: tf.tensor1d(Int32Array.from({ length: batchSize }, () => rng.int(0, classes)), 'int32'),
      };
    }
  },
};

/** Least-squares slope of y over x. */
function slope(points) {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const report = await initBackend(args.backend);
const student = createModel('deit_micro_distilled_patch4_32', { numClasses: classes, seed: 1 });
const teacher = createTeacher('resnet_mnist', { numClasses: classes });
const runDir = mkdtempSync(join(tmpdir(), 'deit-soak-'));
const samples = [];
const t0 = performance.now();
const trainer = new Trainer({
  student,
  teacher,
  loss: distillationLoss({ base: baseCriterion({ mixup: false, smoothing: 0.1 }), type: 'hard', alpha: 0.5 }),
  train: source,
  epochs,
  lr: 5e-4,
  unscaleLr: true,
  warmupEpochs: 1,
  emaDecay: 0.999,
  clipGrad: 1,
  checkpointEverySteps: 100,
  runDir,
  progress: false,
  hooks: {
    onStep(info) {
      if (info.update % every === 0) samples.push({ update: info.update, tensors: tf.memory().numTensors, rssMiB: process.memoryUsage().rss / 2 ** 20 });
    },
  },
});
await trainer.run();
const seconds = (performance.now() - t0) / 1000;
trainer.dispose();
student.dispose();
teacher.dispose?.();
rmSync(runDir, { recursive: true, force: true });

const steady = samples.filter((s) => s.update > updates / 10);
const result = {
  backend: report.backend,
  updates: samples.at(-1)?.update ?? 0,
  batchSize,
  seconds,
  tensors: { first: steady[0]?.tensors, last: steady.at(-1)?.tensors, slopePer100: 100 * slope(steady.map((s) => [s.update, s.tensors])) },
  rssMiB: { first: steady[0]?.rssMiB, last: steady.at(-1)?.rssMiB, max: Math.max(...samples.map((s) => s.rssMiB)), slopePer100: 100 * slope(steady.map((s) => [s.update, s.rssMiB])) },
  samples,
};
const r2 = (v) => (v === undefined ? '–' : v.toFixed(2));
console.log(`\nSoak: ${result.updates} updates of deit_micro_distilled_patch4_32 b${batchSize} + resnet_mnist teacher (hard), backend ${result.backend}, ${seconds.toFixed(0)} s`);
console.log(`  live tensors: ${result.tensors.first} → ${result.tensors.last}, slope ${r2(result.tensors.slopePer100)} per 100 updates`);
console.log(`  RSS MiB:      ${r2(result.rssMiB.first)} → ${r2(result.rssMiB.last)} (max ${r2(result.rssMiB.max)}), slope ${r2(result.rssMiB.slopePer100)} MiB per 100 updates`);
if (args.json) {
  mkdirSync(dirname(args.json), { recursive: true });
  writeFileAtomic(args.json, [`${JSON.stringify(result, null, 2)}\n`]);
}
// A leak of tensors is a bug at any size: fail loudly (the RSS slope is reported, not judged: allocators vary).
if (result.tensors.slopePer100 > 0.5) {
  console.error(`bench-soak: live tensors grow by ${r2(result.tensors.slopePer100)} per 100 updates`);
  process.exitCode = 1;
}
