import { initBackend, maxAbsDiff } from '@deitjs/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArraySource, SyntheticSource, base, snapshot, student } from './test/index.js';
import { Trainer } from './trainer.js';

describe('gradient accumulation on cpu', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('gradient accumulation over micro-batches equals one larger batch', async () => {
    const src = new SyntheticSource({ classes: 4, batches: 4, batchSize: 8 });
    const parts = [0, 1, 2, 3].map((b) => src.batchData(0, b));
    const images = new Float32Array(parts.flatMap((p) => Array.from(p.images)));
    const labels = new Int32Array(parts.flatMap((p) => Array.from(p.labels)));
    const run = async (batchSize: number, accumulation: number) => {
      const s = student({ seed: 4 });
      const trainer = new Trainer(base(s, { train: new ArraySource(images, labels, [4, 4, 3], batchSize), epochs: 2, accumulation, clipGrad: 1 }));
      await trainer.run();
      const w = snapshot(s);
      trainer.dispose();
      s.dispose();
      return w;
    };
    const big = await run(16, 1);
    const accumulated = await run(4, 4);
    const single = await run(4, 1);
    let err = 0;
    for (const [k, v] of big) err = Math.max(err, maxAbsDiff(accumulated.get(k)!, v));
    console.log(`[cpu] accumulation 4×4 vs batch 16 after 4 updates: max |Δw| ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-5);
    // and it is not trivially equal: without accumulation the weights differ clearly
    expect(maxAbsDiff(single.get('fc1.weight')!, big.get('fc1.weight')!)).toBeGreaterThan(1e-3);
  });
});
