import { IMAGENET_NORMALIZATION } from '@deitjs/core';
import { describe, expect, it } from 'vitest';
import { namedModelChoice } from './load-model.js';

describe('namedModelChoice', () => {
  it("a DeiT name: a student, the registry's input size and normalisation, deit's eval crop 0.875", () => {
    const c = namedModelChoice('deit_tiny_patch16_224', 'w.safetensors', '--model');
    expect(c).toMatchObject({ name: 'deit_tiny_patch16_224', kind: 'student', imgSize: 224, normalization: IMAGENET_NORMALIZATION });
    expect(c.preprocessing).toEqual({ transform: { kind: 'eval', size: 224, cropPct: 0.875, normalization: IMAGENET_NORMALIZATION }, interpolation: 'bicubic' });
  });

  it('a CNN name: a teacher at its own input size; --img-size and the crop apply', () => {
    const c = namedModelChoice('resnet_mnist', 'w.safetensors', '--model', 10, 48, 1);
    expect(c).toMatchObject({ kind: 'teacher', imgSize: 48, numClasses: 10 });
    expect(c.preprocessing.transform).toEqual({ kind: 'eval', size: 48, cropPct: 1, normalization: IMAGENET_NORMALIZATION });
    expect(namedModelChoice('regnety_160', 'w.pth', '--model').imgSize).toBe(224);
  });

  it("an unknown name is the registry's ConfigError on the option, with the near names", () => {
    expect(() => namedModelChoice('deit_tiny_patch16_22', 'w', '--model')).toThrow(/^--model: unknown model "deit_tiny_patch16_22" \(did you mean deit_tiny_patch16_224/);
  });
});
