import { initBackend, maxAbsDiff, relL2Error, tf, toFloat32 } from '@deitjs/core';
import { type ConvNet, RegNet, ResNet, toTimmNames } from '@deitjs/teachers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxBytes } from './export.js';
import { OrtClassifier } from './ort-classifier.js';
import { decodeModel, fixtureImages, fixturePixels, readFixture, suggestedAtol } from './test/fixtures.js';

const REL_TOL = 1e-5;
const TINY_REGNET = { depth: 5, w0: 8, wa: 10, wm: 2, groupSize: 8, seRatio: 0.25 };
const basic = () => new ResNet({ block: 'basic', depths: [1, 1, 1, 1], channels: [64, 8, 16, 32], stem: 'imagenet', stemWidth: 64 }, { numClasses: 10 });
const bottleneck = () =>
  new ResNet({ block: 'bottleneck', depths: [1, 1, 1, 1], channels: [4, 8, 16, 32], stem: 'imagenet', stemWidth: 64 }, { numClasses: 10 });
const regnet = () => new RegNet(TINY_REGNET, { numClasses: 10 });

const CASES: Array<{ name: string; build: () => ConvNet; groups?: number[] }> = [
  { name: 'timm_resnet_basic_tiny', build: basic },
  { name: 'timm_resnet_bottleneck_tiny', build: bottleneck },
  { name: 'tv_resnet_basic_tiny', build: basic },
  // Grouped 3×3 convs: 1, 2, 4 (two blocks) and 8 groups, as the manifest lists them.
  { name: 'timm_regnety_tiny', build: regnet, groups: [1, 2, 4, 4, 8] },
  { name: 'tv_regnet_y_tiny', build: regnet, groups: [1, 2, 4, 4, 8] },
];

describe('ResNet and RegNetY exported to ONNX (BatchNorm folded), run on ONNX Runtime', () => {
  const sessions: OrtClassifier[] = [];
  beforeAll(async () => {
    await initBackend('cpu');
  });
  afterAll(async () => {
    for (const s of sessions) await s.dispose();
  });

  for (const c of CASES) {
    it(`${c.name}: logits match tfjs (rel L2 ≤ ${REL_TOL}) and PyTorch (manifest atol)`, async () => {
      const model = c.build();
      model.loadStateDict(toTimmNames(readFixture(`${c.name}.safetensors`)), { source: c.name });
      const io = readFixture(`${c.name}.io.safetensors`);
      const bytes = onnxBytes(model);
      const { graph } = decodeModel(bytes);
      expect(graph.node.some((n) => n.opType === 'BatchNormalization')).toBe(false);
      if (c.groups !== undefined) {
        const grouped = graph.node.filter((n) => n.opType === 'Conv' && /conv2\.conv$/.test(n.name!.split('/')[0]!));
        expect(grouped.map((n) => Number(n.attribute!.find((a) => a.name === 'group')!.i))).toEqual(c.groups);
        expect(graph.node.filter((n) => n.opType === 'Sigmoid').length).toBe(5);
      }
      // Any input size from one export: the spatial axes are symbolic.
      const ort = await OrtClassifier.create(bytes, { intraOpThreads: 1 });
      sessions.push(ort);
      expect(ort.inputShape).toEqual([3, undefined, undefined]);
      const { data, dims } = fixturePixels(io);
      const out = await ort.predict(data, dims);
      const x = fixtureImages(io);
      const ours = tf.tidy(() => model.apply(x, { training: false }).dataSync() as Float32Array);
      const torch = toFloat32(io.get('logits')!);
      const rel = relL2Error(out.logits, ours);
      const mad = maxAbsDiff(out.logits, torch);
      const atol = suggestedAtol(c.name, 'logits');
      console.log(`${c.name} logits: ORT vs tfjs rel L2 ${rel.toExponential(2)}, ORT vs PyTorch max abs ${mad.toExponential(2)} (atol ${atol})`);
      expect(rel).toBeLessThanOrEqual(REL_TOL);
      expect(mad).toBeLessThanOrEqual(atol);
      x.dispose();
      model.dispose();
    });
  }
});
