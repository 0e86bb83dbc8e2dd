import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CheckpointError, type Layout, initBackend, readPth, tfShapeOf } from '@deitjs/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW } from './adamw.js';
import { paramGroups } from './param-groups.js';
import { ParamBag } from './test/index.js';
import { torchAdamWState } from './torch-optimizer-state.js';

interface Moments {
  sum: number;
  abs_sum: number;
}
interface Fixture {
  model: string;
  weights?: { tensors: Record<string, number[]> };
  optimizer?: { state: Record<string, { param: string; step: number; exp_avg: Moments; exp_avg_sq: Moments }> };
}
const manifest = JSON.parse(readFileSync(new URL('../../../fixtures/MANIFEST.json', import.meta.url), 'utf8')) as { fixtures: Fixture[] };
const fixture = (name: string): Fixture => manifest.fixtures.find((f) => f.model === name)!;
const pthFile = fileURLToPath(new URL('../../../fixtures/deit_micro_distilled_patch4_32.train_checkpoint.pth', import.meta.url));

/** A model with the micro DeiT's names, TF.js shapes and layouts (values irrelevant). */
function microDeit(): ParamBag {
  const shapes = fixture('deit_micro_distilled_patch4_32').weights!.tensors;
  return new ParamBag(
    Object.entries(shapes).map(([name, shape]) => {
      const layout: Layout = shape.length === 4 ? 'conv2d' : shape.length === 2 && name.endsWith('.weight') ? 'linear' : 'as-is';
      return [name, tfShapeOf(layout, shape), layout] as [string, number[], Layout];
    }),
  );
}

const sums = (a: Float32Array): Moments => {
  let sum = 0;
  let abs = 0;
  for (const x of a) {
    sum += x;
    abs += Math.abs(x);
  }
  return { sum, abs_sum: abs };
};

describe('torchAdamWState', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it("maps a deit training checkpoint's AdamW state onto parameter names (checked against the fixture's per-parameter sums)", () => {
    const model = microDeit();
    const vars = model.trainableVariables();
    const groups = paramGroups(vars);
    const ckpt = readPth(pthFile) as Map<string, unknown>;
    const state = torchAdamWState(pthFile, ckpt.get('optimizer'), groups, model.namedParams());
    const expected = Object.values(fixture('deit_micro_distilled_patch4_32.train_checkpoint.pth').optimizer!.state);
    expect(state.size).toBe(expected.length);
    let worst = 0;
    for (const e of expected) {
      const got = state.get(e.param)!;
      expect(got.step, e.param).toBe(e.step);
      for (const k of ['exp_avg', 'exp_avg_sq'] as const) {
        const s = sums(k === 'exp_avg' ? got.expAvg : got.expAvgSq);
        const rel = Math.abs(s.abs_sum - e[k].abs_sum) / e[k].abs_sum;
        worst = Math.max(worst, rel);
        expect(rel, `${e.param} ${k} abs_sum`).toBeLessThan(1e-6);
        expect(Math.abs(s.sum - e[k].sum), `${e.param} ${k} sum`).toBeLessThan(1e-6 * e[k].abs_sum + 1e-9);
      }
    }
    console.log(`[cpu] imported AdamW state of ${state.size} parameters; worst abs_sum relative error ${worst.toExponential(2)}`);
    const opt = new AdamW(vars, groups);
    opt.loadState(state);
    expect(opt.state().get('blocks.1.mlp.fc2.weight')!.step).toBe(1);
    opt.dispose();
    model.dispose();
  });

  it('names the parameter when the groups do not line up with the file', () => {
    const model = microDeit();
    const groups = paramGroups(model.trainableVariables());
    const ckpt = readPth(pthFile) as Map<string, unknown>;
    const swapped = [groups[1]!, groups[0]!];
    expect(() => torchAdamWState(pthFile, ckpt.get('optimizer'), swapped, model.namedParams())).toThrow(CheckpointError);
    expect(() => torchAdamWState(pthFile, ckpt.get('optimizer'), [groups[0]!], model.namedParams())).toThrow(/expected 1 parameter groups, found 2/);
    expect(() => torchAdamWState(pthFile, ckpt.get('model'), groups, model.namedParams())).toThrow(/no "param_groups" entry/);
    model.dispose();
  });
});
