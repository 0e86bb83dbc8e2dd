import { fileURLToPath } from 'node:url';
import { ConfigError, type HostTensor, ShapeError, maxAbsDiff, readSafetensors, relL2Error, toFloat32 } from '@deitjs/core';
import { describe, expect, it } from 'vitest';
import { bicubicWeights, resamplePosEmbed } from './resample-pos-embed.js';

const fixture = fileURLToPath(new URL('../../../fixtures/pos_embed_resample.safetensors', import.meta.url));

describe('resamplePosEmbed', () => {
  const sd = readSafetensors(fixture);
  const source = sd.get('pos_embed_8x8')!;

  const cases: Array<[string, number, 'timm' | 'deit-finetune']> = [
    ['timm_resample_12x12', 12, 'timm'],
    ['timm_resample_4x4', 4, 'timm'],
    ['deit_finetune_12x12', 12, 'deit-finetune'],
    ['deit_finetune_4x4', 4, 'deit-finetune'],
  ];
  for (const [key, n, mode] of cases) {
    it(`matches PyTorch ${key}`, () => {
      const out = resamplePosEmbed(source, { from: 8, to: n, prefixTokens: 2, mode });
      const want = sd.get(key)!;
      expect(out.shape).toEqual(want.shape);
      const got = toFloat32(out);
      const ref = toFloat32(want);
      const mad = maxAbsDiff(got, ref);
      const rel = relL2Error(got, ref);
      console.log(`resamplePosEmbed ${key}: max abs ${mad.toExponential(2)}, rel L2 ${rel.toExponential(2)}`);
      expect(mad).toBeLessThan(1e-6);
      // The prefix rows (cls, dist) are copied bit for bit.
      expect([...got.subarray(0, 128)]).toEqual([...toFloat32(source).subarray(0, 128)]);
    });
  }

  it('tells the two variants apart (they differ by more than 1e-3 at 12x12)', () => {
    const a = toFloat32(resamplePosEmbed(source, { from: 8, to: 12, prefixTokens: 2, mode: 'timm' }));
    const b = toFloat32(resamplePosEmbed(source, { from: 8, to: 12, prefixTokens: 2, mode: 'deit-finetune' }));
    expect(maxAbsDiff(a, b)).toBeGreaterThan(1e-3);
  });

  it('is the identity at an unchanged size, and interpolation weights sum to 1', () => {
    for (const mode of ['timm', 'deit-finetune'] as const) {
      const same = resamplePosEmbed(source, { from: 8, to: 8, prefixTokens: 2, mode });
      expect(maxAbsDiff(toFloat32(same), toFloat32(source))).toBeLessThan(1e-7);
      for (const [nIn, nOut] of [[8, 12], [8, 4], [14, 24], [24, 14], [7, 3]]) {
        const w = bicubicWeights(nIn!, nOut!, mode);
        for (let i = 0; i < nOut!; i++) {
          let s = 0;
          for (let j = 0; j < nIn!; j++) s += w[i * nIn! + j]!;
          expect(s).toBeCloseTo(1, 12);
        }
      }
    }
  });

  it('handles a non-square grid and no prefix tokens (a constant grid stays constant)', () => {
    const d = 3;
    const src: HostTensor = { dtype: 'F32', shape: [1, 2 * 5, d], data: new Float32Array(2 * 5 * d).fill(0.25) };
    const out = resamplePosEmbed(src, { from: [2, 5], to: [3, 4], prefixTokens: 0 });
    expect(out.shape).toEqual([1, 12, d]);
    for (const v of toFloat32(out)) expect(v).toBeCloseTo(0.25, 6);
  });

  it('rejects a grid that does not fit the embedding, and bad options', () => {
    expect(() => resamplePosEmbed(source, { from: 7, to: 12, prefixTokens: 2 })).toThrow(ShapeError);
    expect(() => resamplePosEmbed(source, { from: 8, to: 12, prefixTokens: 1 })).toThrow(/pos_embed/);
    expect(() => resamplePosEmbed(source, { from: 8, to: 0, prefixTokens: 2 })).toThrow(ConfigError);
    expect(() => resamplePosEmbed(source, { from: 8, to: 4, prefixTokens: 2, mode: 'nearest' as 'timm' })).toThrow(ConfigError);
  });
});
