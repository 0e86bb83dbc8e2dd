import { initBackend, tf } from '@deitjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetSpec } from './dataset-spec.js';
import { DataLoader } from './loader.js';
import type { TransformSpec } from './transform-spec.js';

const synth: DatasetSpec = { kind: 'synthetic', numClasses: 4, length: 24, width: 40, height: 30, seed: 3 };
const train: TransformSpec = { kind: 'deit-train', size: 16 };

async function collect(loader: DataLoader, epoch: number): Promise<{ images: Float32Array[]; targets: Float32Array[]; indices: Int32Array[] }> {
  const out = { images: [] as Float32Array[], targets: [] as Float32Array[], indices: [] as Int32Array[] };
  for await (const b of loader.epoch(epoch)) {
    out.images.push(b.images.dataSync() as Float32Array);
    out.targets.push(Float32Array.from(b.targets.dataSync()));
    out.indices.push(b.indices!);
    tf.dispose([b.images, b.targets]);
  }
  return out;
}

describe('DataLoader workers', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });
  it('gives the same batches for 0, 1 and 2 workers', async () => {
    const results = [];
    for (const numWorkers of [0, 1, 2]) {
      const loader = new DataLoader({ dataset: synth, transform: train, batchSize: 6, seed: 7, numWorkers, mixup: {} });
      const t0 = Date.now();
      results.push(await collect(loader, 1));
      console.log(`numWorkers ${numWorkers}: ${Date.now() - t0} ms`);
      await loader.close();
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });
});
