import { Rng, type StateDict, tf } from '@deitjs/core';
import { DeiT } from '@deitjs/models';
import { describeOnBackends } from '@deitjs/core/test';
import { beforeAll, expect, it } from 'vitest';
import { attentionByLayer, attentionRollout, lookInside } from './inside.js';

/** Float64 reference of one block's head-mean attention from its PyTorch-layout weights (LayerNorm eps 1e-6). */
function referenceAttention(sd: StateDict, prefix: string, x: number[][], heads: number): number[][] {
  const d = x[0]!.length;
  const w = (k: string): ArrayLike<number> => sd.get(`${prefix}.${k}`)!.data as Float32Array;
  const [g, b, qkvW, qkvB] = [w('norm1.weight'), w('norm1.bias'), w('attn.qkv.weight'), w('attn.qkv.bias')];
  const xn = x.map((row) => {
    const mu = row.reduce((a, v) => a + v, 0) / d;
    const vr = row.reduce((a, v) => a + (v - mu) ** 2, 0) / d;
    return row.map((v, i) => ((v - mu) / Math.sqrt(vr + 1e-6)) * g[i]! + b[i]!);
  });
  // torch Linear: y = x Wᵀ + b, W is [3D, D].
  const qkv = xn.map((row) => Array.from({ length: 3 * d }, (_, o) => row.reduce((a, v, i) => a + v * qkvW[o * d + i]!, qkvB[o]!)));
  const hd = d / heads;
  const t = x.length;
  const mean = Array.from({ length: t }, () => new Array<number>(t).fill(0));
  for (let h = 0; h < heads; h++) {
    for (let r = 0; r < t; r++) {
      const s = Array.from({ length: t }, (_, c) => {
        let dot = 0;
        for (let k = 0; k < hd; k++) dot += qkv[r]![h * hd + k]! * qkv[c]![d + h * hd + k]!;
        return dot / Math.sqrt(hd);
      });
      const m = Math.max(...s);
      const e = s.map((v) => Math.exp(v - m));
      const z = e.reduce((a, v) => a + v, 0);
      e.forEach((v, c) => {
        mean[r]![c]! += v / z / heads;
      });
    }
  }
  return mean;
}

describeOnBackends('attention maps', () => {
  let model: DeiT;
  let image: tf.Tensor4D;
  beforeAll(() => {
    model = new DeiT({ imgSize: 8, patchSize: 4, embedDim: 8, depth: 2, numHeads: 2, numClasses: 3, distilled: true }, new Rng(3));
    image = tf.tensor4d(new Rng(4).uniformArray(8 * 8 * 3, -1, 1), [1, 8, 8, 3]);
  });

  it('are the softmax attention of each block, recomputed from its input (a float64 reference)', () => {
    const inter = model.forwardIntermediates(image, { training: false });
    const inputs = [inter.get('pos_drop')!, inter.get('blocks.0')!];
    const maps = attentionByLayer(model, inputs);
    const sd = model.stateDict();
    expect(maps.shape).toEqual([2, 6, 6]);
    const got = maps.arraySync();
    for (let l = 0; l < 2; l++) {
      const ref = referenceAttention(sd, `blocks.${l}`, (inputs[l]!.arraySync() as number[][][])[0]!, 2);
      for (let r = 0; r < 6; r++) for (let c = 0; c < 6; c++) expect(got[l]![r]![c]!).toBeCloseTo(ref[r]![c]!, 5);
    }
    tf.dispose([maps, ...inter.values()]);
  });

  it('roll out as ½A + ½I, row-normalised, multiplied first layer to last', () => {
    // Two 2-token layers: A1 = [[1, 0], [0.5, 0.5]], A2 = [[0, 1], [1, 0]].
    const maps = new Float32Array([1, 0, 0.5, 0.5, 0, 1, 1, 0]);
    // ½A + ½I: L1 = [[1, 0], [0.25, 0.75]], L2 = [[0.5, 0.5], [0.5, 0.5]]; L2 · L1 = [[0.625, 0.375], [0.625, 0.375]].
    expect(Array.from(attentionRollout(maps, 2, 2))).toEqual([0.625, 0.375, 0.625, 0.375]);
    expect(Array.from(attentionRollout(maps, 1, 2))).toEqual([1, 0, 0.25, 0.75]);
  });

  it('lookInside leaves no tensors behind and gives distributions over the patches', () => {
    lookInside(model, image); // warm-up: first-use kernels may allocate
    const before = tf.memory().numTensors;
    const v = lookInside(model, image);
    expect(tf.memory().numTensors).toBe(before);
    expect(v.layers).toEqual(['pos_drop', 'blocks.0', 'blocks.1', 'norm']);
    expect(v.grid).toEqual([2, 2]);
    for (const m of [v.last.cls, v.last.dist, v.rollout.cls, v.rollout.dist]) {
      expect(m.length).toBe(4);
      expect(m.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
  });
});
