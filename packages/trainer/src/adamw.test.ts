import { ConfigError, ShapeError, maxAbsDiff, tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { expect, it } from 'vitest';
import { AdamW } from './adamw.js';
import { paramGroups } from './param-groups.js';
import { ParamBag, snapshot } from './test/index.js';

/** PyTorch AdamW (torch/optim/adamw.py, single-tensor path) in float64, written from its documented update. */
function referenceAdamW(p: number[], grads: number[][], lrs: number[], wd: number, b1 = 0.9, b2 = 0.999, eps = 1e-8): number[] {
  const x = [...p];
  const m = x.map(() => 0);
  const v = x.map(() => 0);
  grads.forEach((g, i) => {
    const t = i + 1;
    const lr = lrs[i]!;
    for (let j = 0; j < x.length; j++) {
      x[j] = x[j]! * (1 - lr * wd);
      m[j] = b1 * m[j]! + (1 - b1) * g[j]!;
      v[j] = b2 * v[j]! + (1 - b2) * g[j]! * g[j]!;
      const denom = Math.sqrt(v[j]!) / Math.sqrt(1 - b2 ** t) + eps;
      x[j] = x[j]! - (lr / (1 - b1 ** t)) * (m[j]! / denom);
    }
  });
  return x;
}

describeOnBackends('AdamW', (backend) => {
  const make = () => {
    const model = new ParamBag([
      ['w', [2, 3]],
      ['b', [3]],
    ]);
    const vars = model.trainableVariables();
    const opt = new AdamW(vars, paramGroups(vars, { weightDecay: 0.05 }));
    return { model, vars, opt };
  };

  it('one step by hand: p·(1 − lr·wd) − lr·g/(|g| + eps), moments (1−β)·g and (1−β2)·g²', () => {
    const { model, vars, opt } = make();
    vars.get('w')!.assign(tf.tensor([[0.5, -1, 2], [0, 0.25, -0.5]]));
    const g = tf.tensor([[0.2, -0.4, 1e-3], [0.5, -2, 0]]);
    opt.step(new Map([['w', g]]), 0.1);
    // 0.5·(1 − 0.005) − 0.1·0.2/(0.2 + 1e-8) = 0.397500005; 2·0.995 − 0.1·1e-3/(1e-3 + 1e-8) = 1.890001;
    // a zero gradient only decays: −0.5·0.995 = −0.4975
    const want = [0.397500005, -0.895, 1.890001, 0 - 0.1, 0.24875 + 0.1, -0.4975];
    const got = vars.get('w')!.dataSync();
    console.log(`[${backend}] AdamW one step max |err| vs hand values: ${maxAbsDiff(got, want).toExponential(2)}`);
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-6);
    const st = opt.state().get('w')!;
    expect(st.step).toBe(1);
    expect(maxAbsDiff(st.expAvg, [0.02, -0.04, 1e-4, 0.05, -0.2, 0])).toBeLessThan(1e-8);
    expect(maxAbsDiff(st.expAvgSq, [4e-5, 1.6e-4, 1e-9, 2.5e-4, 4e-3, 0])).toBeLessThan(1e-9);
    // 'b' had no gradient: skipped entirely (PyTorch skips params whose .grad is None), no state created
    expect(opt.state().has('b')).toBe(false);
    g.dispose();
    opt.dispose();
    model.dispose();
  });

  it('five steps with changing lr match PyTorch AdamW semantics computed in float64 (decay and no-decay groups)', () => {
    const { model, vars, opt } = make();
    const start = snapshot(model);
    const lrs = [1e-2, 5e-3, 2e-2, 1e-3, 7e-3];
    const gw = lrs.map((_, i) => Array.from({ length: 6 }, (_, j) => Math.sin(1.3 * i + 0.7 * j) * (j + 1) * 0.1));
    const gb = lrs.map((_, i) => Array.from({ length: 3 }, (_, j) => Math.cos(0.9 * i - j) * 0.3));
    lrs.forEach((lr, i) => {
      const grads = new Map<string, tf.Tensor>([
        ['w', tf.tensor(gw[i]!, [2, 3])],
        ['b', tf.tensor(gb[i]!, [3])],
      ]);
      opt.step(grads, lr);
      for (const t of grads.values()) t.dispose();
    });
    const wantW = referenceAdamW([...start.get('w')!], gw, lrs, 0.05);
    const wantB = referenceAdamW([...start.get('b')!], gb, lrs, 0);
    const errW = maxAbsDiff(vars.get('w')!.dataSync(), wantW);
    const errB = maxAbsDiff(vars.get('b')!.dataSync(), wantB);
    console.log(`[${backend}] AdamW 5 steps max |err| vs float64 reference: w ${errW.toExponential(2)}, b ${errB.toExponential(2)}`);
    expect(errW).toBeLessThan(2e-6);
    expect(errB).toBeLessThan(2e-6);
    // Without decay the no-decay group would differ from a decayed reference by lr·wd·p: make sure it is not decayed.
    expect(maxAbsDiff(vars.get('b')!.dataSync(), referenceAdamW([...start.get('b')!], gb, lrs, 0.05))).toBeGreaterThan(1e-5);
    opt.dispose();
    model.dispose();
  });

  it('state round-trips: a restored optimiser continues bit-identically; memory stays flat', () => {
    const a = make();
    const b = make();
    const grads = (i: number) => new Map<string, tf.Tensor>([
      ['w', tf.fill([2, 3], 0.1 * (i + 1))],
      ['b', tf.fill([3], -0.2 * (i + 1))],
    ]);
    const run = (o: AdamW, i: number) => {
      const g = grads(i);
      o.step(g, 0.01);
      for (const t of g.values()) t.dispose();
    };
    const fresh = tf.memory().numTensors;
    run(a.opt, 0);
    // the first update creates exactly two moment tensors per parameter, nothing else
    expect(tf.memory().numTensors).toBe(fresh + 2 * a.vars.size);
    for (let i = 1; i < 3; i++) run(a.opt, i);
    // copy the weights and the optimiser state into b
    for (const [k, v] of a.vars) b.vars.get(k)!.assign(v);
    b.opt.loadState(a.opt.state());
    const before = tf.memory().numTensors;
    for (let i = 3; i < 6; i++) {
      run(a.opt, i);
      run(b.opt, i);
    }
    expect(tf.memory().numTensors).toBe(before);
    for (const [k, v] of a.vars) expect(Array.from(b.vars.get(k)!.dataSync())).toEqual(Array.from(v.dataSync()));
    expect(b.opt.state().get('w')!.step).toBe(6);
    for (const x of [a, b]) {
      x.opt.dispose();
      x.model.dispose();
    }
  });

  it('rejects bad input with typed errors', () => {
    const { model, vars, opt } = make();
    const bad = tf.zeros([3, 2]);
    expect(() => opt.step(new Map([['w', bad]]), 0.1)).toThrow(ShapeError);
    expect(() => opt.step(new Map([['nope', bad]]), 0.1)).toThrow(/nope/);
    expect(() => opt.step(new Map(), Number.NaN)).toThrow(ConfigError);
    expect(() => new AdamW(vars, paramGroups(vars), { betas: [1, 0.999] })).toThrow(/betas\[0\]/);
    expect(() => new AdamW(vars, [{ name: 'decay', params: ['w'], weightDecay: 0 }])).toThrow(/b is in no group/);
    expect(() => opt.loadState(new Map([['w', { step: 1, expAvg: new Float32Array(2), expAvgSq: new Float32Array(2), shape: [2] }]]))).toThrow(ShapeError);
    bad.dispose();
    opt.dispose();
    model.dispose();
  });
});
