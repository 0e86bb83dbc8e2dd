import { ConfigError, type Rng, initBackend, maxAbsDiff, tf } from '@deitjs/core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DataParallel } from './data-parallel.js';
import { type GradientEngine, tfjsEngine } from './gradient-engine.js';
import { base, data, snapshot, student } from './test/index.js';
import { Trainer } from './trainer.js';

/** An engine that delegates to the tfjs engine and records what it was given. */
function recordingEngine(calls: Array<{ batch: number; rngDraw: number }>): GradientEngine {
  return {
    name: 'recording',
    async lossAndGradients(model, images, targets, teacherLogits, rng: Rng) {
      calls.push({ batch: images.shape[0], rngDraw: rng.state()[0] });
      return tfjsEngine.lossAndGradients(model, images, targets, teacherLogits, rng);
    },
  };
}

describe('Trainer engine option', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('computes every micro-batch through the engine; a delegating engine trains to the same weights as the default', async () => {
    const run = async (engine?: GradientEngine) => {
      const s = student({ seed: 5 });
      const trainer = new Trainer(base(s, { train: data({ batches: 3 }), epochs: 2, seed: 1, ...(engine ? { engine } : {}) }));
      await trainer.run();
      const w = snapshot(s);
      trainer.dispose();
      s.dispose();
      return w;
    };
    const calls: Array<{ batch: number; rngDraw: number }> = [];
    const before = tf.memory().numTensors;
    const viaEngine = await run(recordingEngine(calls));
    const plain = await run();
    expect(calls.length).toBe(6);
    expect(tf.memory().numTensors).toBe(before);
    for (const [name, w] of plain) expect(maxAbsDiff(viaEngine.get(name)!, w), name).toBe(0);
  });

  it('a non-tfjs engine refuses data parallelism (ConfigError naming engine)', () => {
    const s = student();
    const dp = {} as DataParallel;
    expect(() => new Trainer(base(s, { train: data(), epochs: 1, engine: recordingEngine([]), dataParallel: dp }))).toThrow(ConfigError);
    expect(() => new Trainer(base(s, { train: data(), epochs: 1, engine: recordingEngine([]), dataParallel: dp }))).toThrow(/engine/);
    s.dispose();
  });
});
