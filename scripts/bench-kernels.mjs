#!/usr/bin/env node
// Times the kernels a DeiT training step uses, at the shapes of the two reference workloads, on the
// wasm backend: once with tfjs's own kernels and once with deitjs's replacements (registerWasmKernels).
// Runs against the built dist: `npx turbo run build --filter=@deitjs/core` first.
//
//   node scripts/bench-kernels.mjs [--workload cifar|224|all] [--only tfjs|deitjs] [--filter <substring>] [--ms 400]
//   node scripts/bench-kernels.mjs --step [--workload ...] [--reps 2]   whole training steps (forward, loss,
//     backward; no optimizer update) of the real model, in images/s: needs @deitjs/models built too.
//   --threads N: matMul threads for deitjs's kernels (default 1, so CPU time is the kernels' cost; with
//     N > 1 compare wall times, on an otherwise idle machine).
import { parseArgs } from 'node:util';
import * as core from '@deitjs/core';

const { tf, initBackend } = core;

const { values: args } = parseArgs({
  options: {
    workload: { type: 'string', default: 'all' },
    only: { type: 'string' },
    filter: { type: 'string' },
    ms: { type: 'string', default: '400' },
    step: { type: 'boolean', default: false },
    reps: { type: 'string', default: '2' },
    batch: { type: 'string' },
    threads: { type: 'string', default: '1' },
  },
});
const budgetMs = Number(args.ms);

// deit cifar-tiny (32 px, patch 4: 64 patches + cls + dist) at batch 128, and deit_tiny_distilled_patch16_224
// (196 patches + 2) at batch 32; both dim 192, 3 heads of 64, MLP 768.
const WORKLOADS = {
  cifar: { name: 'cifar-tiny b128', b: 128, n: 66, d: 192, h: 3, model: 'deit_tiny_distilled_patch4_32', px: 32, torch: 45.7 },
  224: { name: 'tiny-224 b32', b: 32, n: 198, d: 192, h: 3, model: 'deit_tiny_distilled_patch16_224', px: 224, torch: 13.5 },
};

const gelu = (x) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));

function cases(w) {
  const { b, n, d, h } = w;
  const hd = d / h;
  const bh = b * h;
  const t = b * n;
  const mm = (name, aShape, bShape, ta, tb) => {
    const m = ta ? aShape.at(-1) : aShape.at(-2);
    const k = ta ? aShape.at(-2) : aShape.at(-1);
    const nn = tb ? bShape.at(-2) : bShape.at(-1);
    const batch = Math.max(aShape.length > 2 ? aShape.slice(0, -2).reduce((x, y) => x * y, 1) : 1, bShape.length > 2 ? bShape.slice(0, -2).reduce((x, y) => x * y, 1) : 1);
    return { name, inputs: [aShape, bShape], run: (x, y) => tf.matMul(x, y, ta, tb), flops: 2 * batch * m * k * nn };
  };
  const ew = (name, shapes, run, bytesPerElem = 4 * (shapes.length + 1)) => ({
    name,
    inputs: shapes,
    run,
    bytes: shapes[0].reduce((x, y) => x * y, 1) * bytesPerElem,
  });
  return [
    // Attention: S = q·kᵀ, O = P·v, and the backward products of both.
    mm('bmm q·kᵀ        (fwd)', [bh, n, hd], [bh, n, hd], false, true),
    mm('bmm P·v         (fwd)', [bh, n, n], [bh, n, hd], false, false),
    mm('bmm dS·k        (dq)', [bh, n, n], [bh, n, hd], false, false),
    mm('bmm dSᵀ·q       (dk)', [bh, n, n], [bh, n, hd], true, false),
    mm('bmm dO·vᵀ       (dP)', [bh, n, hd], [bh, n, hd], false, true),
    mm('bmm Pᵀ·dO       (dv)', [bh, n, n], [bh, n, hd], true, false),
    // Linear layers as 2-D matMuls (fc1 shown; qkv/proj/fc2 are the same kernel at other widths).
    mm('mm x·W fc1      (fwd)', [t, d], [d, 4 * d], false, false),
    mm('mm dY·Wᵀ fc1    (dx)', [t, 4 * d], [d, 4 * d], false, true),
    mm('mm Xᵀ·dY fc1    (dW)', [t, d], [t, 4 * d], true, false),
    mm('mm x·W fc2      (fwd)', [t, 4 * d], [4 * d, d], false, false),
    mm('mm x·W qkv      (fwd)', [t, d], [d, 3 * d], false, false),
    ew('softmax [BH,N,N]', [[bh, n, n]], (x) => tf.softmax(x)),
    ew('softmax grad    ', [[bh, n, n], [bh, n, n]], (y, dy) => tf.sub(tf.mul(dy, y), tf.mul(tf.sum(tf.mul(dy, y), -1, true), y)), 4 * 5),
    ew('transpose 0213 qkv', [[b, n, 3 * h, hd]], (x) => tf.transpose(x, [0, 2, 1, 3]), 8),
    ew('transpose 0213 out', [[b, h, n, hd]], (x) => tf.transpose(x, [0, 2, 1, 3]), 8),
    ew('transpose 2-D [T,768]', [[t, 4 * d]], (x) => tf.transpose(x), 8),
    ew('erf [T,768]', [[t, 4 * d]], (x) => tf.erf(x), 8),
    ew('exp [T,768]', [[t, 4 * d]], (x) => tf.exp(x), 8),
    ew('split 3 [B,3H,N,hd]', [[b, 3 * h, n, hd]], (x) => tf.split(x, 3, 1), 8),
    ew('gelu (erf form)', [[t, 4 * d]], gelu, 8),
    ew('gelu fwd+bwd', [[t, 4 * d]], (x) => tf.grad(gelu)(x), 8),
    ew('add bias [T,768]+[768]', [[t, 4 * d], [4 * d]], (x, y) => tf.add(x, y), 8),
    ew('mul [T,192]*[T,192]', [[t, d], [t, d]], (x, y) => tf.mul(x, y), 12),
    ew('layernorm [T,192]', [[t, d]], (x) => {
      const mean = tf.mean(x, -1, true);
      const c = tf.sub(x, mean);
      const v = tf.mean(tf.mul(c, c), -1, true);
      return tf.mul(c, tf.rsqrt(tf.add(v, 1e-6)));
    }, 8),
    ew('sum axis0 [T,768] (bias grad)', [[t, 4 * d]], (x) => tf.sum(x, 0), 4),
  ];
}

// Process CPU time (user + system), not wall time: the machine is shared, and time spent descheduled
// is not the kernel's. The wasm backend runs on this one thread, so CPU time is the kernel's cost.
function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function timeCase(c) {
  const xs = c.inputs.map((s) => tf.randomUniform(s, -1, 1));
  // wasm kernels run synchronously inside the op call, so no read-back is timed: dataSync would add a
  // fresh output-sized allocation (page faults) that no training step pays.
  const once = () => tf.dispose(tf.tidy(() => c.run(...xs)));
  once();
  // Repeat until the time budget is used; keep the fastest.
  const times = [];
  const start = performance.now();
  while (times.length < 3 || (performance.now() - start < budgetMs && times.length < 200)) {
    const t0 = cpuMs();
    once();
    times.push(cpuMs() - t0);
  }
  for (const x of xs) x.dispose();
  times.sort((a, b) => a - b);
  // The fastest repetition: other load on a shared machine only ever adds time (cache misses).
  return times[0];
}

function rate(c, ms) {
  if (c.flops !== undefined) return `${(c.flops / ms / 1e6).toFixed(2).padStart(7)} GFLOP/s`;
  return `${(c.bytes / ms / 1e6).toFixed(2).padStart(7)} GB/s   `;
}

const report = await initBackend('wasm');
console.log(`backend: ${report.backend}; node ${process.version}; deitjs matMul threads: ${args.threads}`);
const modes = [];
if (args.only !== 'deitjs') modes.push('tfjs');
if (args.only !== 'tfjs') modes.push('deitjs');
const haveKernels = typeof core.registerWasmKernels === 'function' && typeof core.restoreWasmKernels === 'function';
if (!haveKernels && modes.includes('deitjs')) {
  console.log('(this build of @deitjs/core has no registerWasmKernels: timing tfjs kernels only)');
  modes.splice(modes.indexOf('deitjs'), 1);
}

// One training step without the optimizer: forward in training mode, mean cross-entropy of both heads,
// gradients of every trainable variable. Returns the fastest of `reps` steps after one warm-up, in ms.
async function timeStep(w) {
  const { createModel } = await import('@deitjs/models');
  const model = createModel(w.model, { numClasses: 10, seed: 0 });
  const rng = new core.Rng(1);
  const vars = [...model.trainableVariables().values()];
  const x = tf.randomUniform([w.b, w.px, w.px, 3], -1, 1);
  const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: w.b }, (_, i) => i % 10), 'int32'), 10));
  const step = () => {
    const { value, grads } = tf.variableGrads(() => {
      const out = model.apply(x, { training: true, rng });
      return tf.add(tf.losses.softmaxCrossEntropy(labels, out.cls), tf.losses.softmaxCrossEntropy(labels, out.dist)).div(2);
    }, vars);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  step();
  let cpu = Number.POSITIVE_INFINITY;
  let wall = Number.POSITIVE_INFINITY;
  for (let r = 0; r < Number(args.reps); r++) {
    const c0 = cpuMs();
    const w0 = performance.now();
    step();
    wall = Math.min(wall, performance.now() - w0);
    cpu = Math.min(cpu, cpuMs() - c0);
  }
  tf.dispose([x, labels]);
  model.dispose();
  return { cpu, wall };
}

if (args.step) {
  console.log('\n| training step (fwd+bwd, no optimizer) | ' + modes.map((m) => `${m} img/s (CPU time) | ${m} img/s (wall)`).join(' | ') + ' | PyTorch 2-core img/s |');
  console.log(`|---|${modes.map(() => '---:|---:').join('|')}|---:|`);
  for (const key of args.workload === 'all' ? Object.keys(WORKLOADS) : [args.workload]) {
    const w = { ...WORKLOADS[key] };
    if (args.batch !== undefined) w.b = Number(args.batch);
    const rates = [];
    for (const m of modes) {
      if (haveKernels) await (m === 'deitjs' ? core.registerWasmKernels({ threads: Number(args.threads) }) : core.restoreWasmKernels());
      const t = await timeStep(w);
      rates.push(((1000 * w.b) / t.cpu).toFixed(2), ((1000 * w.b) / t.wall).toFixed(2));
    }
    console.log(`| ${w.model} b${w.b} | ${rates.join(' | ')} | ${w.torch} |`);
  }
  process.exit(0);
}

for (const key of args.workload === 'all' ? Object.keys(WORKLOADS) : [args.workload]) {
  const w = WORKLOADS[key];
  if (w === undefined) throw new Error(`--workload: unknown "${args.workload}" (cifar, 224, all)`);
  console.log(`\n## ${w.name} (dim ${w.d}, heads ${w.h}, tokens ${w.n})`);
  console.log(`| kernel | ${modes.map((m) => `${m} µs | ${m} rate`).join(' | ')} |${modes.length === 2 ? ' speed-up |' : ''}`);
  console.log(`|---|${modes.map(() => '---:|---:').join('|')}|${modes.length === 2 ? '---:|' : ''}`);
  for (const c of cases(w)) {
    if (args.filter !== undefined && !c.name.includes(args.filter)) continue;
    const ms = {};
    for (const m of modes) {
      if (haveKernels) await (m === 'deitjs' ? core.registerWasmKernels({ threads: Number(args.threads) }) : core.restoreWasmKernels());
      ms[m] = timeCase(c);
    }
    const cols = modes.map((m) => `${(ms[m] * 1000).toFixed(0).padStart(8)} | ${rate(c, ms[m])}`);
    const speedup = modes.length === 2 ? ` ${(ms.tfjs / ms.deitjs).toFixed(2)}x |` : '';
    console.log(`| ${c.name.padEnd(30)} | ${cols.join(' | ')} |${speedup}`);
  }
}
