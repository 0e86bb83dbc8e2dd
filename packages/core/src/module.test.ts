import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';
import { StateDictMismatchError } from './errors.js';
import { Module } from './module.js';
import { type StateDict, toFloat32 } from './tensor-data.js';
import { tf } from './tf.js';

class Linear extends Module {
  constructor(inF: number, outF: number) {
    super();
    this.addParam('weight', tf.zeros([inF, outF]), 'linear');
    this.addParam('bias', tf.zeros([outF]));
  }
}
class Net extends Module {
  constructor() {
    super();
    this.addChild('fc', new Linear(3, 2));
    this.addBuffer('running_mean', tf.zeros([2]));
  }
}

const torchSd = (): StateDict =>
  new Map([
    ['fc.weight', { dtype: 'F32', shape: [2, 3], data: Float32Array.from([0, 1, 2, 3, 4, 5]) }],
    ['fc.bias', { dtype: 'F32', shape: [2], data: Float32Array.from([7, 8]) }],
    ['running_mean', { dtype: 'F32', shape: [2], data: Float32Array.from([0.5, -0.5]) }],
    ['num_batches_tracked', { dtype: 'I64', shape: [], data: BigInt64Array.from([3n]) }],
  ]);

describe('Module', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('names parameters by path and counts only trainable ones', () => {
    const net = new Net();
    expect([...net.namedParams().keys()]).toEqual(['running_mean', 'fc.weight', 'fc.bias']);
    expect([...net.trainableVariables().keys()]).toEqual(['fc.weight', 'fc.bias']);
    expect(net.numParams()).toBe(8);
    net.dispose();
  });

  it('loads PyTorch layouts (linear transposed) and saves them back unchanged', () => {
    const net = new Net();
    const before = tf.memory().numTensors;
    const report = net.loadStateDict(torchSd());
    expect(report).toEqual({ missing: [], unexpected: [], mismatched: [] });
    expect(tf.memory().numTensors).toBe(before);
    const w = net.namedParams().get('fc.weight')!.variable;
    expect(Array.from(w.dataSync())).toEqual([0, 3, 1, 4, 2, 5]);
    const sd = net.stateDict();
    expect(sd.get('fc.weight')!.shape).toEqual([2, 3]);
    expect(Array.from(toFloat32(sd.get('fc.weight')!))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(toFloat32(sd.get('running_mean')!))).toEqual([0.5, -0.5]);
    net.dispose();
  });

  it('lists missing, unexpected and mis-shaped keys before changing anything', () => {
    const net = new Net();
    const sd = torchSd();
    sd.delete('fc.bias');
    sd.set('extra.weight', { dtype: 'F32', shape: [1], data: new Float32Array(1) });
    sd.set('fc.weight', { dtype: 'F32', shape: [3, 2], data: new Float32Array(6) });
    let err: unknown;
    try {
      net.loadStateDict(sd, { source: 'ckpt.safetensors' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateDictMismatchError);
    const e = err as StateDictMismatchError;
    expect(e.missing).toEqual(['fc.bias']);
    expect(e.unexpected).toEqual(['extra.weight']);
    expect(e.mismatched).toEqual(['fc.weight: file [3,2] vs model [2,3]']);
    expect(e.message).toMatch(/^ckpt\.safetensors does not match the model/);
    // Nothing was assigned: running_mean is still zero.
    expect(Array.from(net.namedParams().get('running_mean')!.variable.dataSync())).toEqual([0, 0]);
    const lax = net.loadStateDict(sd, { strict: false });
    expect(lax.missing).toEqual(['fc.bias']);
    net.dispose();
  });
});
