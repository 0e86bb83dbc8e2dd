import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { initBackend, tf, writeSafetensors } from '@deitjs/core';
import type { Uint8Image } from '@deitjs/data';
import { IMAGENET_CLASSES, createModel } from '@deitjs/models';
import { readRunInfo } from '@deitjs/run';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify } from './classify.js';
import { imagePreprocessor } from './image-input.js';
import { runClassNames } from './onnx-export.js';
import { writeRunDir } from './test/run-dir.js';

const root = mkdtempSync(join(tmpdir(), 'deit-recipes-classify-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** An 8-bit RGB image with a deterministic pattern. */
function pattern(width: number, height: number, seed: number): Uint8Image {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + seed * 101) % 256;
  return { width, height, channels: 3, data } as Uint8Image;
}

// A minimal PNG writer (8-bit RGB, filter 0): enough for decodeImage to read the test images from disk.
function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
function writePng(file: string, img: Uint8Image): string {
  const chunk = (type: string, body: Uint8Array) => {
    const out = Buffer.alloc(12 + body.length);
    out.writeUInt32BE(body.length, 0);
    out.write(type, 4, 'latin1');
    out.set(body, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(img.width, 0);
  ihdr.writeUInt32BE(img.height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc((img.width * 3 + 1) * img.height);
  for (let y = 0; y < img.height; y++) raw.set(img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3), y * (img.width * 3 + 1) + 1);
  writeFileSync(file, Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array())]));
  return file;
}

describe('classify (cpu)', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it("classifies a run directory's model: the run's classes and preprocessing, a path and a decoded image alike, per head", async () => {
    const dir = writeRunDir(root, 'student');
    const deit = createModel('deit_mini_distilled_patch8_32', { numClasses: 10, seed: 5 });
    writeSafetensors(join(dir, 'model.safetensors'), deit.stateDict(), { format: 'pt' });
    const img = pattern(40, 30, 1);
    const file = writePng(join(root, 'a.png'), img);
    const before = tf.memory().numTensors;
    const fromPath = await classify(file, { model: dir, topK: 10 });
    const fromImage = await classify(img, { model: dir, topK: 10 });
    expect(tf.memory().numTensors).toBe(before);
    expect(fromImage).toEqual(fromPath);
    const classes = runClassNames(readRunInfo(dir))!;
    expect(fromPath.top.map((c) => c.label)).toEqual(fromPath.top.map((c) => classes[c.index]));
    // The same numbers by hand: the run's preprocessing, eval forward (mean of both heads), softmax.
    const x = imagePreprocessor(readRunInfo(dir).preprocessing)(img);
    const want = tf.tidy(() => tf.softmax(deit.apply(tf.tensor4d(x.data, [1, x.height, x.width, 3]), { training: false }) as tf.Tensor2D).dataSync());
    for (const c of fromPath.top) expect(c.score).toBeCloseTo(want[c.index]!, 6);
    expect(fromPath.heads!.cls).toHaveLength(10);
    expect(fromPath.heads!.dist.reduce((a, c) => a + c.score, 0)).toBeCloseTo(1, 5);
    deit.dispose();
  });

  it('classifies with a registered name and its weights (pretrained ones are fetched the same way), and labels a 1000-class model with ImageNet names', async () => {
    const weights = fileURLToPath(new URL('../../../fixtures/deit_micro_distilled_patch4_32.safetensors', import.meta.url));
    const images = [pattern(32, 32, 2), pattern(64, 48, 3)];
    const out = await classify(images, { model: 'deit_micro_distilled_patch4_32', weights, topK: 3 });
    expect(out).toHaveLength(2);
    expect(out[0]!.top).toHaveLength(3);
    expect(out[0]!.top[0]!.label).toBeUndefined();
    const big = createModel('deit_micro_patch4_32', { numClasses: 1000, seed: 1 });
    const [r] = await classify([images[0]!], { model: big, name: 'deit_micro_patch4_32' });
    expect(r!.top).toHaveLength(5);
    for (const c of r!.top) expect(c.label).toBe(IMAGENET_CLASSES[c.index]);
    big.dispose();
    await expect(classify(images[0]!, { model: 'deit_micro_patch4_3', weights })).rejects.toThrow(/model: unknown model "deit_micro_patch4_3" \(did you mean deit_micro_patch4_32/);
    await expect(classify(images[0]!, { model: root, weights })).rejects.toThrow(/run\.json.*missing: not a deit-train run directory/);
  });
});
