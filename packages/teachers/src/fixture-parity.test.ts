import { tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { expect, it } from 'vitest';
import { toTimmNames } from './checkpoint-names.js';
import type { ConvNet } from './convnet.js';
import { RegNet } from './regnet.js';
import { ResNet } from './resnet.js';
import { maxAbsDiff } from '@deitjs/core';
import { REL_TOL, compareWithFixture, fixtureInputs, manifestCheck, readFixture, toNhwcData } from './test/fixtures.js';

const TINY_REGNET = { depth: 5, w0: 8, wa: 10, wm: 2, groupSize: 8, seRatio: 0.25 };
const basic = () => new ResNet({ block: 'basic', depths: [1, 1, 1, 1], channels: [64, 8, 16, 32], stem: 'imagenet', stemWidth: 64 }, { numClasses: 10 });
const bottleneck = () =>
  new ResNet({ block: 'bottleneck', depths: [1, 1, 1, 1], channels: [4, 8, 16, 32], stem: 'imagenet', stemWidth: 64 }, { numClasses: 10 });
const tvRegNetOut = (k: string): string =>
  k
    .replace(/^trunk_output\.block(\d)\.block\d-(\d)/, (_, s, b) => `s${s}.b${Number(b) + 1}`)
    .replace(/^trunk_output\.block(\d)/, 's$1')
    .replace('.f.se', '.se');

// Each fixture: model builder, how its `out.*` names map to our tap names.
const CASES: Array<{ name: string; build: () => ConvNet; outName: (k: string) => string }> = [
  { name: 'timm_resnet_basic_tiny', build: basic, outName: (k) => k },
  { name: 'timm_resnet_bottleneck_tiny', build: bottleneck, outName: (k) => k },
  { name: 'tv_resnet_basic_tiny', build: basic, outName: (k) => k },
  { name: 'timm_regnety_tiny', build: () => new RegNet(TINY_REGNET, { numClasses: 10 }), outName: (k) => k },
  { name: 'tv_regnet_y_tiny', build: () => new RegNet(TINY_REGNET, { numClasses: 10 }), outName: tvRegNetOut },
];

describeOnBackends('fixture parity', (backend) => {
  for (const c of CASES) {
    it(`${c.name}: logits and intermediates match PyTorch (rel L2 ≤ ${REL_TOL})`, () => {
      const model = c.build();
      model.loadStateDict(toTimmNames(readFixture(`${c.name}.safetensors`)), { source: c.name });
      const io = readFixture(`${c.name}.io.safetensors`);
      const before = tf.memory().numTensors;
      compareWithFixture(model, io, `${backend} ${c.name}`, c.outName, c.name);
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    });

    it(`${c.name}: training-mode BatchNorm (batch statistics) moves the logits as far as in PyTorch`, () => {
      const model = c.build();
      model.loadStateDict(toTimmNames(readFixture(`${c.name}.safetensors`)), { source: c.name });
      const io = readFixture(`${c.name}.io.safetensors`);
      const x = fixtureInputs(io);
      const train = model.apply(x, { training: true });
      // PyTorch's figure: max |logits(model.train()) − logits(model.eval())| on the same inputs.
      const ours = maxAbsDiff(train.dataSync(), toNhwcData(io.get('logits')!));
      const theirs = manifestCheck(c.name, 'logits_max_abs_diff_if_bn_in_train_mode')!;
      console.log(`${backend} ${c.name} train-mode shift: ${ours.toFixed(6)} vs PyTorch ${theirs.toFixed(6)}`);
      expect(Math.abs(ours - theirs)).toBeLessThan(1e-4 + 1e-4 * theirs);
      tf.dispose([x, train]);
      model.dispose();
    });
  }
});
