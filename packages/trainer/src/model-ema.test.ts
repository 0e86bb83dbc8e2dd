import { ConfigError, maxAbsDiff, tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { expect, it } from 'vitest';
import { ModelEma } from './model-ema.js';
import { ParamBag } from './test/index.js';

describeOnBackends('ModelEma', (backend) => {
  it('follows ema ← d·ema + (1 − d)·model on every entry, in PyTorch layout', () => {
    const model = new ParamBag([
      ['fc.weight', [2, 3], 'linear'],
      ['fc.bias', [3]],
    ]);
    const vars = model.trainableVariables();
    vars.get('fc.weight')!.assign(tf.tensor([[1, 2, 3], [4, 5, 6]]));
    vars.get('fc.bias')!.assign(tf.tensor([0, 0, 1]));
    const ema = new ModelEma(model.namedParams(), 0.9);
    // the model moves to w = 2·w0 + 1 then to 0 (bias: 10, then −10); by hand:
    // after 1: 0.9·x0 + 0.1·(2·x0 + 1) = 1.1·x0 + 0.1; after 2: 0.9·(1.1·x0 + 0.1) = 0.99·x0 + 0.09
    vars.get('fc.weight')!.assign(tf.tensor([[3, 5, 7], [9, 11, 13]]));
    vars.get('fc.bias')!.assign(tf.fill([3], 10));
    let before = tf.memory().numTensors;
    ema.update();
    expect(tf.memory().numTensors).toBe(before);
    vars.get('fc.weight')!.assign(tf.zeros([2, 3]));
    vars.get('fc.bias')!.assign(tf.fill([3], -10));
    before = tf.memory().numTensors;
    ema.update();
    expect(tf.memory().numTensors).toBe(before);
    const sd = ema.stateDict();
    // TF layout [in=2, out=3] → PyTorch [out=3, in=2]: rows are the columns of the TF matrix
    const w0 = [1, 4, 2, 5, 3, 6];
    const want = w0.map((x) => 0.99 * x + 0.09);
    expect(sd.get('fc.weight')!.shape).toEqual([3, 2]);
    const err = maxAbsDiff(sd.get('fc.weight')!.data as Float32Array, want);
    // bias: 0.9·(0.9·b0 + 1) + 0.1·(−10) = 0.81·b0 − 0.1
    const errB = maxAbsDiff(sd.get('fc.bias')!.data as Float32Array, [-0.1, -0.1, 0.71]);
    console.log(`[${backend}] EMA max |err| vs hand values: ${Math.max(err, errB).toExponential(2)}`);
    expect(Math.max(err, errB)).toBeLessThan(1e-6);
    // The model itself is untouched by the EMA.
    expect(Array.from(vars.get('fc.weight')!.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
    // values()/load() round-trip
    const copy = new ModelEma(model.namedParams(), 0.9);
    copy.load(ema.values());
    expect(Array.from(copy.values().get('fc.bias')!)).toEqual(Array.from(ema.values().get('fc.bias')!));
    expect(() => copy.load(new Map())).toThrow(/no averaged value for fc.weight/);
    ema.dispose();
    copy.dispose();
    model.dispose();
  });

  it('rejects a decay outside [0, 1]', () => {
    const model = new ParamBag([['w', [2]]]);
    expect(() => new ModelEma(model.namedParams(), 1.5)).toThrow(ConfigError);
    model.dispose();
  });
});
