// Writes the exact MNIST split of `deit-train`'s main job (mnistDataset from the built @deitjs/data, 100/200 per
// class, seeds 0–2) as raw .npy files, so that mnist_reference.py trains on the very same digits.
// Usage: node scripts/reference/export-mnist-split.mjs [outDir=/tmp/mnist-split] [seeds=0,1,2]
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mnistDataset } from '../../packages/data/dist/index.js';

const out = process.argv[2] ?? '/tmp/mnist-split';
mkdirSync(out, { recursive: true });

// A minimal .npy (format 1.0) writer: header dict padded to a multiple of 64 bytes.
function npy(file, typed, descr, shape) {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += `${' '.repeat(pad % 64)}\n`;
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength)]));
  renameSync(tmp, file);
}

const seeds = (process.argv[3] ?? '0,1,2').split(',').map(Number);
for (const seed of seeds) {
  for (const split of ['train', 'test']) {
    // No padding here: the 28×28 grey digits (R = G = B); the Python side pads to 32 as data-setup.ts does.
    const ds = mnistDataset({ split, trainPerClass: 100, testPerClass: 200, seed });
    const images = new Uint8Array(ds.length * 28 * 28);
    const labels = new BigInt64Array(ds.length);
    for (let i = 0; i < ds.length; i++) {
      const { image, label } = await ds.get(i);
      if (image.width !== 28 || image.height !== 28) throw new Error(`unexpected size ${image.width}x${image.height}`);
      for (let p = 0; p < 28 * 28; p++) {
        const r = image.data[3 * p];
        if (r !== image.data[3 * p + 1] || r !== image.data[3 * p + 2]) throw new Error('not grey');
        images[i * 784 + p] = r;
      }
      labels[i] = BigInt(label);
    }
    npy(join(out, `seed${seed}-${split}-images.npy`), images, '|u1', [ds.length, 28, 28]);
    npy(join(out, `seed${seed}-${split}-labels.npy`), labels, '<i8', [ds.length]);
    console.log(`seed ${seed} ${split}: ${ds.length} images`);
  }
}
