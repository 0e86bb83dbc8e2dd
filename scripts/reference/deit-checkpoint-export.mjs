// Trains the fixtures' micro DeiT (distilled, 32 px, 10 classes) for two short epochs with deitjs (EMA on), then
// exports the run's checkpoint in deit main.py's format for deit_checkpoint_check.py. Uses the built packages.
//   node scripts/reference/deit-checkpoint-export.mjs /tmp/deit-handoff
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, readSafetensors, Rng, tf } from '@deitjs/core';
import { DeiT } from '@deitjs/models';
import { AdamW, exportDeitCheckpoint, ModelEma, paramGroups, Trainer } from '@deitjs/trainer';

const out = process.argv[2] ?? '/tmp/deit-handoff';
const runDir = join(out, 'run');
mkdirSync(runDir, { recursive: true });
await initBackend('cpu');

const fixture = fileURLToPath(new URL('../../fixtures/deit_micro_distilled_patch4_32.safetensors', import.meta.url));
const config = { imgSize: 32, patchSize: 4, embedDim: 64, depth: 2, numHeads: 2, numClasses: 10, distilled: true, dropPathRate: 0 };
const micro = () => {
  const m = new DeiT(config, new Rng(1));
  m.loadStateDict(readSafetensors(fixture));
  return m;
};

// 4 batches of 8 random 32×32 images per epoch, labels at random: enough to move the weights and the moments.
const source = {
  batchesPerEpoch: () => 4,
  async *epoch(epoch) {
    const rng = new Rng(100 + epoch);
    for (let b = 0; b < 4; b++) {
      yield {
        images: tf.tensor4d(rng.uniformArray(8 * 32 * 32 * 3, -1, 1), [8, 32, 32, 3]),
        targets: tf.tensor1d(Int32Array.from({ length: 8 }, () => rng.int(0, 10)), 'int32'),
        indices: Int32Array.from({ length: 8 }, (_, i) => b * 8 + i),
      };
    }
  },
};
const ce = (logits, labels) => tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(labels, 10)), 1)));
const loss = (outputs, targets) => tf.tidy(() => (outputs instanceof tf.Tensor ? ce(outputs, targets) : tf.mul(tf.add(ce(outputs.cls, targets), ce(outputs.dist, targets)), 0.5)));

const student = micro();
const trainer = new Trainer({
  student,
  loss,
  train: source,
  epochs: 2,
  lr: 1e-3,
  unscaleLr: true,
  warmupEpochs: 1,
  warmupLr: 1e-5,
  minLr: 1e-5,
  emaDecay: 0.9,
  seed: 0,
  runDir,
  progress: false,
});
await trainer.run();

const fresh = micro();
const parts = { student: fresh, optimizer: new AdamW(fresh.trainableVariables(), paramGroups(fresh.trainableVariables())), ema: new ModelEma(fresh.namedParams(), 0.9) };
const file = join(out, 'checkpoint.pth');
const { epoch, notes } = exportDeitCheckpoint(join(runDir, 'checkpoint-last.safetensors'), parts, file);
console.log(JSON.stringify({ file, epoch, peakLr: trainer.peakLr, notes }, null, 1));
