import { ShapeError } from '@deitjs/core';
import { describe, expect, it } from 'vitest';
import { syntheticDataset } from './synthetic.js';

describe('synthetic data set', () => {
  it('is deterministic per seed and index, balanced, 8-bit RGB of the given size', async () => {
    const ds = syntheticDataset({ numClasses: 5, length: 20, width: 24, height: 16, seed: 2 });
    const a = await ds.get(7);
    expect([a.image.width, a.image.height, a.label]).toEqual([24, 16, 2]);
    expect((await ds.get(7)).image.data).toEqual(a.image.data);
    expect((await syntheticDataset({ numClasses: 5, length: 20, width: 24, height: 16, seed: 3 }).get(7)).image.data).not.toEqual(a.image.data);
    expect(() => syntheticDataset({ length: 0 })).toThrow(/length/);
    await expect(ds.get(20)).rejects.toThrow(ShapeError);
  });

  it('is learnable: a nearest-class-mean classifier on held-out samples beats chance by far', async () => {
    const K = 10;
    const ds = syntheticDataset({ numClasses: K, length: 400, width: 16 });
    // Stripe phases vary per sample, so the features are phase-free: channel means and the mean absolute
    // change along each row and column (stripe orientation and frequency).
    const feat = (d: Uint8Array | Float32Array): Float64Array => {
      const f = new Float64Array(3 + 16 * 2 * 3);
      for (let y = 0; y < 16; y++) {
        for (let x = 0; x < 16; x++) {
          for (let c = 0; c < 3; c++) {
            const v = d[(y * 16 + x) * 3 + c]! / 255;
            f[c]! += v / 256;
            if (x > 0) f[3 + (y * 3 + c)]! += Math.abs(v - d[(y * 16 + x - 1) * 3 + c]! / 255);
            if (y > 0) f[3 + 48 + (x * 3 + c)]! += Math.abs(v - d[((y - 1) * 16 + x) * 3 + c]! / 255);
          }
        }
      }
      return f;
    };
    const fm = Array.from({ length: K }, () => new Float64Array(3 + 96));
    for (let i = 0; i < 300; i++) {
      const s = await ds.get(i);
      const f = feat(s.image.data);
      for (let j = 0; j < f.length; j++) fm[s.label]![j]! += f[j]! / 30;
    }
    let correct = 0;
    for (let i = 300; i < 400; i++) {
      const s = await ds.get(i);
      const f = feat(s.image.data);
      let best = -1;
      let bestD = Number.POSITIVE_INFINITY;
      for (let k = 0; k < K; k++) {
        let d = 0;
        for (let j = 0; j < f.length; j++) d += (f[j]! - fm[k]![j]!) ** 2;
        if (d < bestD) {
          bestD = d;
          best = k;
        }
      }
      if (best === s.label) correct++;
    }
    console.log(`synthetic: nearest-class-mean accuracy on 100 held-out samples = ${correct}% (chance 10%)`);
    expect(correct).toBeGreaterThan(80);
  });
});
