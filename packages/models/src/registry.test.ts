import { ConfigError, initBackend } from '@deitjs/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { countParams, createModel, listModels, modelConfig } from './registry.js';

// deit-spec §1.1 (parameter counts computed from timm's module definitions).
const TIMM_PARAMS: Record<string, number> = {
  deit_tiny_patch16_224: 5_717_416,
  deit_small_patch16_224: 22_050_664,
  deit_base_patch16_224: 86_567_656,
  deit_base_patch16_384: 86_859_496,
  deit_tiny_distilled_patch16_224: 5_910_800,
  deit_small_distilled_patch16_224: 22_436_432,
  deit_base_distilled_patch16_224: 87_338_192,
  deit_base_distilled_patch16_384: 87_630_032,
};

describe('model registry', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it("lists timm's DeiT v1 names and the 32-px presets", () => {
    expect(listModels().sort()).toEqual(
      [
        ...Object.keys(TIMM_PARAMS),
        'deit_micro_patch4_32',
        'deit_micro_distilled_patch4_32',
        'deit_tiny_patch4_32',
        'deit_tiny_distilled_patch4_32',
        'deit_mini_patch8_32',
        'deit_mini_distilled_patch8_32',
      ].sort(),
    );
  });

  it('counts the parameters of every timm variant exactly (§1.1 table)', () => {
    for (const [name, n] of Object.entries(TIMM_PARAMS)) expect(countParams(modelConfig(name)), name).toBe(n);
  });

  it('builds models whose allocated parameters equal the count (deit_tiny_distilled_patch16_224, micro presets)', () => {
    for (const name of ['deit_tiny_distilled_patch16_224', 'deit_micro_patch4_32', 'deit_micro_distilled_patch4_32']) {
      const m = createModel(name);
      expect(m.numParams(), name).toBe(countParams(modelConfig(name)));
      if (name in TIMM_PARAMS) expect(m.numParams()).toBe(TIMM_PARAMS[name]);
      m.dispose();
    }
  });

  it('matches the fixtures: micro models with 10 classes have 108,884 / 108,106 parameters', () => {
    expect(countParams(modelConfig('deit_micro_distilled_patch4_32'))).toBe(108_884);
    expect(countParams(modelConfig('deit_micro_patch4_32'))).toBe(108_106);
    // MNIST student of mnist-effect.md (207k there with 1 input channel; 3 channels add 2·64·64 patch weights):
    // patch 3·64·64+64, tokens 2·64 + pos 18·64, blocks 4·49,984, norm 128, heads 2·(64·10+10) = 214,996.
    expect(countParams(modelConfig('deit_mini_distilled_patch8_32'))).toBe(214_996);
    expect(countParams(modelConfig('deit_mini_distilled_patch8_32')) - 2 * 64 * 64).toBe(206_804);
    expect(modelConfig('deit_tiny_distilled_patch4_32')).toMatchObject({ embedDim: 192, depth: 12, numHeads: 3, patchSize: 4, imgSize: 32 });
  });

  it('applies options (classes, image size, drop path with default 0.1) and rejects unknown names', () => {
    expect(modelConfig('deit_base_patch16_224')).toMatchObject({ numClasses: 1000, dropPathRate: 0.1, imgSize: 224, embedDim: 768, numHeads: 12 });
    expect(modelConfig('deit_base_patch16_224', { numClasses: 5, imgSize: 384, dropPathRate: 0 })).toMatchObject({ numClasses: 5, imgSize: 384, dropPathRate: 0 });
    expect(() => modelConfig('deit_huge_patch14_224')).toThrow(ConfigError);
    expect(() => modelConfig('deit_huge_patch14_224')).toThrow(/deit_tiny_patch16_224/);
    expect(() => createModel('deit_micro_patch4_32', { numClasses: 0 })).toThrow(ConfigError);
    expect(() => createModel('deit_micro_patch4_32', { imgSize: 30 })).toThrow(/imgSize/);
    expect(() => createModel('deit_micro_patch4_32', { dropPathRate: 1 })).toThrow(ConfigError);
  });
});
