#!/usr/bin/env node
// Loader throughput of @deitjs/data (built dist): images/s of the DeiT training transform
// (RandomResizedCrop 224 bicubic, flip, RandAugment rand-m9-mstd0.5-inc1, normalise, RandomErasing 0.25)
// on generated JPEGs, inline and with 1 and 2 worker threads. Batch tensors are created and disposed
// as a trainer would, on the cpu backend.
//
//   npm run build -w @deitjs/data && node scripts/bench-loader.mjs [--smoke] [--images N] [--batch B] [--workers 0,1,2] [--json FILE]
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend, tf, writeFileAtomic } from '@deitjs/core';
import { DataLoader } from '@deitjs/data';
import sharp from 'sharp';

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    images: { type: 'string' },
    batch: { type: 'string' },
    json: { type: 'string' },
    workers: { type: 'string', default: '0,1,2' },
  },
});
const smoke = args.smoke;
const count = Number(args.images ?? (smoke ? 16 : 200));
const batchSize = Number(args.batch ?? (smoke ? 4 : 32));
const size = smoke ? 64 : 224;
const [W, H] = smoke ? [160, 120] : [400, 300];
const classes = 4;

// Smooth colour gradients plus noise: JPEG-compressible like photos, different per file.
async function makeImages(dir) {
  let seed = 12345;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  for (let c = 0; c < classes; c++) mkdirSync(join(dir, `class_${c}`));
  for (let i = 0; i < count; i++) {
    const data = Buffer.alloc(W * H * 3);
    const [a, b, p] = [rand() * 0.05, rand() * 0.05, rand() * 6];
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const o = (y * W + x) * 3;
        data[o] = 128 + 100 * Math.sin(a * x + p);
        data[o + 1] = 128 + 100 * Math.cos(b * y + p);
        data[o + 2] = (x + y + rand() * 40) & 255;
      }
    }
    await sharp(data, { raw: { width: W, height: H, channels: 3 } })
      .jpeg({ quality: 90 })
      .toFile(join(dir, `class_${i % classes}`, `img_${String(i).padStart(4, '0')}.jpg`));
  }
}

async function run(root, numWorkers) {
  const loader = new DataLoader({
    dataset: { kind: 'image-folder', root },
    transform: { kind: 'deit-train', size },
    batchSize,
    seed: 0,
    numWorkers,
    dropLast: true,
    mixup: {},
  });
  const batches = loader.batchesPerEpoch();
  let images = 0;
  let first = 0;
  const t0 = performance.now();
  let tFirst = t0;
  let k = 0;
  for await (const b of loader.epoch(0)) {
    // The first batch pays for worker start-up; the rate is measured over the rest.
    if (k === 0) {
      tFirst = performance.now();
      first = b.images.shape[0];
    } else {
      images += b.images.shape[0];
    }
    tf.dispose([b.images, b.targets]);
    k++;
  }
  const t1 = performance.now();
  await loader.close();
  const rate = images > 0 ? images / ((t1 - tFirst) / 1000) : first / ((tFirst - t0) / 1000);
  return { numWorkers, batches, startupMs: tFirst - t0, imagesPerSec: rate, totalMs: t1 - t0 };
}

await initBackend('cpu');
const dir = mkdtempSync(join(tmpdir(), 'deitjs-bench-loader-'));
try {
  const tGen = performance.now();
  await makeImages(dir);
  console.log(`generated ${count} JPEGs of ${W}×${H} in ${((performance.now() - tGen) / 1000).toFixed(1)} s; transform deit-train ${size} px, batch ${batchSize}, Mixup/CutMix on`);
  const rows = [];
  for (const w of args.workers.split(',').map(Number)) rows.push(await run(dir, w));
  console.log('\n| workers | batches | first batch (ms) | images/s (after first batch) |');
  console.log('|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.numWorkers === 0 ? '0 (inline)' : r.numWorkers} | ${r.batches} | ${r.startupMs.toFixed(0)} | ${r.imagesPerSec.toFixed(1)} |`);
  if (args.json) writeFileAtomic(args.json, [`${JSON.stringify({ count, size, batchSize, width: W, height: H, rows }, null, 2)}\n`]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
