import { readFileSync } from 'node:fs';
import { ConfigError, initBackend } from '@deitjs/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { TIMM_0_3_2_NO_DECAY_NAMES, isNoDecay, paramGroups } from './param-groups.js';
import { ParamBag } from './test/index.js';

interface Fixture {
  model: string;
  weights?: { tensors: Record<string, number[]> };
  optimizer?: { param_groups: Array<{ weight_decay: number; param_names: string[] }> };
}
const manifest = JSON.parse(readFileSync(new URL('../../../fixtures/MANIFEST.json', import.meta.url), 'utf8')) as { fixtures: Fixture[] };
const fixture = (name: string): Fixture => manifest.fixtures.find((f) => f.model === name)!;

describe('paramGroups', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('splits a distilled DeiT exactly as timm create_optimizer did in the training-checkpoint fixture', () => {
    const shapes = fixture('deit_micro_distilled_patch4_32').weights!.tensors;
    const model = new ParamBag(Object.entries(shapes).map(([k, s]) => [k, s] as [string, number[]]));
    const groups = paramGroups(model.trainableVariables(), { weightDecay: 0.05 });
    const expected = fixture('deit_micro_distilled_patch4_32.train_checkpoint.pth').optimizer!.param_groups;
    expect(groups.map((g) => g.weightDecay)).toEqual(expected.map((g) => g.weight_decay));
    expect(groups[0]!.params).toEqual(expected[0]!.param_names);
    expect(groups[1]!.params).toEqual(expected[1]!.param_names);
    model.dispose();
  });

  it('decays dist_token with the timm 0.3.2 skip list (the original DeiT runs)', () => {
    const model = new ParamBag([
      ['cls_token', [1, 1, 4]],
      ['pos_embed', [1, 3, 4]],
      ['dist_token', [1, 1, 4]],
      ['head.weight', [4, 2], 'linear'],
      ['head.bias', [2]],
    ]);
    const groups = paramGroups(model.trainableVariables(), { skip: TIMM_0_3_2_NO_DECAY_NAMES });
    expect(groups[0]!.params).toEqual(['cls_token', 'pos_embed', 'head.bias']);
    expect(groups[1]!.params).toEqual(['dist_token', 'head.weight']);
    expect(groups[1]!.weightDecay).toBe(0.05);
    model.dispose();
  });

  it('exempts rank ≤ 1 tensors, *.bias and skip names only', () => {
    expect(isNoDecay('norm.weight', [8])).toBe(true);
    expect(isNoDecay('scale', [])).toBe(true);
    expect(isNoDecay('conv.bias', [1, 1, 1, 8])).toBe(true);
    expect(isNoDecay('cls_token', [1, 1, 8])).toBe(true);
    expect(isNoDecay('blocks.0.attn.qkv.weight', [8, 24])).toBe(false);
    expect(isNoDecay('my_token', [1, 1, 8], ['my_token'])).toBe(true);
  });

  it('rejects a negative decay or an unknown skip name with a ConfigError', () => {
    const model = new ParamBag([['w', [2, 2]]]);
    expect(() => paramGroups(model.trainableVariables(), { weightDecay: -0.1 })).toThrow(ConfigError);
    expect(() => paramGroups(model.trainableVariables(), { skip: ['pos_embd'] })).toThrow(/noDecay: names not among the trainable parameters: pos_embd/);
    model.dispose();
  });
});
