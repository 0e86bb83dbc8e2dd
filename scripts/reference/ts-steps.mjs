// TS side of the step-parity check (issue #8): the built deit_mini_distilled_patch8_32 (drop path 0), one fixed batch
// of the exported seed-0 split (un-augmented), hard distillation (α 0.5, smoothing 0.1) or 'none', and N AdamW updates
// (timm groups, wd 0.05) at a constant lr. Writes the initial and final state dicts and the loss of every step;
// step_parity.py repeats the same updates in PyTorch from the same initial weights and compares.
// Usage: node scripts/reference/ts-steps.mjs [backend=cpu] [steps=30] [type=hard] [outDir=/tmp/ts-steps]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGENET_NORMALIZATION, initBackend, tf, writeSafetensors } from '../../packages/core/dist/index.js';
import { distillationLoss, labelSmoothingCrossEntropy } from '../../packages/losses/dist/index.js';
import { createModel } from '../../packages/models/dist/index.js';
import { AdamW, paramGroups } from '../../packages/trainer/dist/index.js';

const [backend = 'cpu', stepsArg = '30', type = 'hard', outDir = '/tmp/ts-steps'] = process.argv.slice(2);
const steps = Number(stepsArg);
await initBackend(backend);
const out = join(outDir, `${backend}-${type}`);
mkdirSync(out, { recursive: true });

function readNpy(file) {
  const buf = readFileSync(file);
  const hlen = buf.readUInt16LE(8);
  const header = buf.subarray(10, 10 + hlen).toString('latin1');
  const body = buf.subarray(10 + hlen);
  return { header, body };
}
const imgs = readNpy('/tmp/mnist-split/seed0-train-images.npy').body;
const labs = readNpy('/tmp/mnist-split/seed0-train-labels.npy').body;
const B = 32;
// Every 31st digit, so that the batch holds all classes; padded 28 → 32, grey → RGB, ImageNet-normalised, NHWC.
const pick = Array.from({ length: B }, (_, i) => i * 31);
const x = new Float32Array(B * 32 * 32 * 3);
const y = new Int32Array(B);
const { mean, std } = IMAGENET_NORMALIZATION;
pick.forEach((s, b) => {
  y[b] = Number(labs.readBigInt64LE(8 * s));
  for (let r = 0; r < 32; r++) {
    for (let c = 0; c < 32; c++) {
      const inside = r >= 2 && r < 30 && c >= 2 && c < 30;
      const v = inside ? imgs[s * 784 + (r - 2) * 28 + (c - 2)] / 255 : 0;
      for (let k = 0; k < 3; k++) x[((b * 32 + r) * 32 + c) * 3 + k] = (v - mean[k]) / std[k];
    }
  }
});
// Teacher labels: the truth for even positions, the truth + 1 for odd ones (so that the two heads' targets differ).
const tLab = Int32Array.from(y, (v, i) => (i % 2 === 0 ? v : (v + 1) % 10));
const images = tf.tensor4d(x, [B, 32, 32, 3]);
const labels = tf.tensor1d(y, 'int32');
const teacher = tf.oneHot(tf.tensor1d(tLab, 'int32'), 10).toFloat();

const model = createModel('deit_mini_distilled_patch8_32', { numClasses: 10, dropPathRate: 0, seed: 0 });
writeSafetensors(join(out, 'init.safetensors'), model.stateDict());
const vars = model.trainableVariables();
const nameOf = new Map([...vars].map(([n, v]) => [v.name, n]));
const opt = new AdamW(vars, paramGroups(vars, { weightDecay: 0.05 }));
const loss = distillationLoss({ base: (l, t) => labelSmoothingCrossEntropy(l, t, 0.1), type, alpha: 0.5 });
const losses = [];
const before = tf.memory().numTensors;
for (let s = 0; s < steps; s++) {
  const { value, grads } = tf.variableGrads(() => loss(model.apply(images, { training: true }), labels, teacher).loss, [...vars.values()]);
  losses.push(value.dataSync()[0]);
  const named = new Map(Object.entries(grads).map(([k, g]) => [nameOf.get(k), g]));
  opt.step(named, 1e-3);
  tf.dispose([value, ...Object.values(grads)]);
}
writeSafetensors(join(out, 'final.safetensors'), model.stateDict());
writeFileSync(join(out, 'losses.json'), JSON.stringify({ backend, type, steps, losses, pick, tLab: [...tLab], tensorsAdded: tf.memory().numTensors - before /* AdamW moments: 2 per parameter */ }));
console.log(JSON.stringify({ backend, type, first: losses[0], last: losses.at(-1) }));
