import { fileURLToPath } from 'node:url';
import { ConfigError, type DistilledLogits, type HostTensor, ShapeError, maxAbsDiff, nchwToNhwc, readSafetensors, tf, toFloat32 } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { expect, it } from 'vitest';
import { clsDistCosine, tokenCosine } from './analysis.js';
import { createModel } from './registry.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../../fixtures/${name}`, import.meta.url));
const M = 'deit_micro_distilled_patch4_32';

/** Cosine of tokens 0 and 1 of every sample of a timm `[B, T, D]` tensor, in float64. */
function referenceCosine(t: HostTensor): number[] {
  const [b, n, d] = t.shape as [number, number, number];
  const x = toFloat32(t);
  const out: number[] = [];
  for (let s = 0; s < b; s++) {
    let dot = 0;
    let aa = 0;
    let cc = 0;
    for (let k = 0; k < d; k++) {
      const a = x[s * n * d + k]!;
      const c = x[s * n * d + d + k]!;
      dot += a * c;
      aa += a * a;
      cc += c * c;
    }
    out.push(dot / Math.max(Math.sqrt(aa) * Math.sqrt(cc), 1e-8));
  }
  return out;
}

describeOnBackends('cls/dist token analysis', (backend) => {
  it("matches the cosine of timm's own intermediate tokens at every layer", () => {
    const io = readSafetensors(fixture(`${M}.io.safetensors`));
    const model = createModel(M, { weights: fixture(`${M}.safetensors`) });
    const inp = io.get('inputs')!;
    const nhwc = nchwToNhwc(toFloat32(inp), inp.shape);
    const x = tf.tensor4d(nhwc.data, nhwc.shape as [number, number, number, number]);
    const before = tf.memory().numTensors;
    const r = clsDistCosine(model, x);
    expect(r.layers).toEqual(['pos_drop', 'blocks.0', 'blocks.1', 'norm']);
    expect(r.cosine.shape).toEqual([4, inp.shape[0]]);
    const got = r.cosine.arraySync();
    r.layers.forEach((layer, l) => {
      const want = referenceCosine(io.get(`out.${layer}`)!);
      const err = maxAbsDiff(Float64Array.from(got[l]!), Float64Array.from(want));
      console.log(`${backend} cls·dist cosine ${layer}: timm ${want.map((v) => v.toFixed(4)).join(' ')}, max abs diff ${err.toExponential(2)} (tol 1e-4)`);
      expect(err).toBeLessThan(1e-4);
    });
    // The heads come from the same pass: they must be the model's eval-mode heads.
    const both = model.apply(x, { training: false, returnBoth: true }) as DistilledLogits;
    expect(maxAbsDiff(r.cls.dataSync(), both.cls.dataSync())).toBeLessThan(1e-5);
    expect(maxAbsDiff(r.dist.dataSync(), both.dist.dataSync())).toBeLessThan(1e-5);
    tf.dispose([both.cls, both.dist, r.cosine, r.cls, r.dist]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });

  it('tokenCosine: identical tokens give 1, opposite −1, orthogonal 0, zero vectors 0', () => {
    const t = tf.tensor3d(
      [
        [[1, 2, 3], [1, 2, 3], [9, 9, 9]],
        [[1, 0, 0], [-2, 0, 0], [0, 0, 0]],
        [[0, 1, 0], [5, 0, 0], [0, 0, 0]],
        [[0, 0, 0], [0, 0, 0], [1, 1, 1]],
      ],
    );
    const c = tokenCosine(t);
    const v = Array.from(c.dataSync());
    expect(v[0]).toBeCloseTo(1, 6);
    expect(v[1]).toBeCloseTo(-1, 6);
    expect(v[2]).toBeCloseTo(0, 6);
    expect(v[3]).toBe(0);
    const c02 = tokenCosine(t, 0, 2);
    // [1,2,3]·[9,9,9] / (|[1,2,3]|·|[9,9,9]|) = 54 / (√14 · 9√3)
    expect(c02.dataSync()[0]).toBeCloseTo(54 / (Math.sqrt(14) * 9 * Math.sqrt(3)), 6);
    tf.dispose([t, c, c02]);
  });

  it('rejects a plain model and bad token indices with typed errors', () => {
    const plain = createModel('deit_micro_patch4_32');
    const x = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    expect(() => clsDistCosine(plain, x)).toThrow(ConfigError);
    const t = tf.zeros([2, 3, 4]) as tf.Tensor3D;
    expect(() => tokenCosine(t, 0, 3)).toThrow(ShapeError);
    const flat = tf.zeros([2, 3]);
    expect(() => tokenCosine(flat as unknown as tf.Tensor3D)).toThrow(/tokens: expected \[batch, tokens, dim\]/);
    tf.dispose([t, flat]);
    expect(tf.memory().numTensors).toBe(before);
    plain.dispose();
  });
});
