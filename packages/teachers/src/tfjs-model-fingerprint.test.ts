import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IMAGENET_NORMALIZATION, type Normalization, initBackend, tf } from '@deitjs/core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeFileIo } from './node/file-io.js';
import { tfjsArchitecture, tfjsModelFingerprint } from './tfjs-model-fingerprint.js';
import { teacherFromTfjsModel } from './tfjs-model-teacher.js';

const dir = mkdtempSync(join(tmpdir(), 'deit-tfjs-fp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A seeded LayersModel; `units` changes the architecture. */
function net(seed: number, units = 6): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.globalAveragePooling2d({ inputShape: [4, 4, 3] }),
      tfl.layers.dense({ units, activation: 'relu', kernelInitializer: tfl.initializers.glorotNormal({ seed }) }),
      tfl.layers.dense({ units: 3, kernelInitializer: tfl.initializers.glorotNormal({ seed: seed + 1 }) }),
    ],
  });
}

describe('TF.js teacher fingerprints: architecture + weights, cpu', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('loading the same model.json twice gives the same fingerprint (TF.js renames the variables on every load)', async () => {
    const m = net(1);
    await m.save(nodeFileIo(join(dir, 'a')));
    const file = join(dir, 'a', 'model.json');
    const t1 = await teacherFromTfjsModel(file);
    const t2 = await teacherFromTfjsModel(file);
    // The premise: the second load's variables carry other names than the first's.
    const l1 = await tfl.loadLayersModel(nodeFileIo(file));
    const l2 = await tfl.loadLayersModel(nodeFileIo(file));
    expect(l2.weights.map((w) => w.name)).not.toEqual(l1.weights.map((w) => w.name));
    expect(t1.fingerprint()).toMatch(/^[0-9a-f]{64}$/);
    expect(t2.fingerprint()).toBe(t1.fingerprint());
    expect(tfjsModelFingerprint(l2, 'l2')).toBe(tfjsModelFingerprint(l1, 'l1'));
    // The in-memory model it was saved from (auto-named layers of another number) fingerprints the same too.
    expect(tfjsModelFingerprint(m, 'm')).toBe(tfjsModelFingerprint(l1, 'l1'));
    // And an identical model built afresh in code (dense_Dense3… instead of dense_Dense1…).
    const again = net(1);
    expect(again.layers[1]!.name).not.toBe(m.layers[1]!.name);
    expect(tfjsArchitecture(again)).toBe(tfjsArchitecture(m));
    expect(tfjsModelFingerprint(again, 'again')).toBe(tfjsModelFingerprint(m, 'm'));
    for (const x of [m, l1, l2, again]) x.dispose();
  });

  it('one changed weight value changes it; so does another architecture with the same weights count', async () => {
    const m = net(2);
    const fp = tfjsModelFingerprint(m, 'm');
    // Copies: getWeights() returns the variables themselves.
    const [kernel, bias] = m.layers[2]!.getWeights().map((t) => t.clone()) as [tf.Tensor, tf.Tensor];
    const nudged = tf.add(tf.tensor1d([0, 0, 1e-6]), bias);
    m.layers[2]!.setWeights([kernel, nudged]);
    expect(tfjsModelFingerprint(m, 'm')).not.toBe(fp);
    m.layers[2]!.setWeights([kernel, bias]);
    expect(tfjsModelFingerprint(m, 'm')).toBe(fp);
    // Same weights, another activation: the architecture alone tells them apart.
    const linear = tfl.sequential({
      layers: [
        tfl.layers.globalAveragePooling2d({ inputShape: [4, 4, 3] }),
        tfl.layers.dense({ units: 6, activation: 'linear' }),
        tfl.layers.dense({ units: 3 }),
      ],
    });
    linear.setWeights(m.getWeights());
    expect(tfjsArchitecture(linear)).not.toBe(tfjsArchitecture(m));
    expect(tfjsModelFingerprint(linear, 'linear')).not.toBe(fp);
    // Another width is another architecture (and other weight shapes).
    const wide = net(2, 7);
    expect(tfjsModelFingerprint(wide, 'wide')).not.toBe(fp);
    tf.dispose([nudged, kernel, bias]);
    for (const x of [m, linear, wide]) x.dispose();
  });

  it("the teacher's options that change its outputs change its fingerprint", async () => {
    const m = net(4);
    const fps = await Promise.all(
      [{}, { outputs: 'probabilities' as const }, { inputLayout: 'NCHW' as const, numClasses: 3 }, { normalization: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } as Normalization }].map(
        async (o) => (await teacherFromTfjsModel(m, { inputNormalization: IMAGENET_NORMALIZATION, ...o })).fingerprint(),
      ),
    );
    expect(new Set(fps).size).toBe(4);
    m.dispose();
  });
});
