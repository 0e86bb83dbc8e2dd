import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StateDict } from '../tensor-data.js';
import { readSafetensors, readSafetensorsHeader, writeSafetensors } from './safetensors.js';

const TENSORS = 80;
const ELEMENTS = 1 << 20;

/** An element's bit pattern, a hash of its tensor and position, so a misplaced byte range shows. */
function bits(tensor: number, index: number): number {
  return (Math.imul(tensor + 1, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0;
}

describe('a safetensors file of several hundred MB', () => {
  const dir = mkdtempSync(join(tmpdir(), 'deitjs-st-large-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes 80 tensors of 1M floats (320 MiB) and reads them back', () => {
    const file = join(dir, 'large.safetensors');
    let tensors: StateDict | undefined = new Map();
    for (let t = 0; t < TENSORS; t++) {
      const data = new Float32Array(ELEMENTS);
      const u32 = new Uint32Array(data.buffer);
      for (let i = 0; i < ELEMENTS; i++) u32[i] = bits(t, i);
      tensors.set(`layer.${t}.weight`, { dtype: 'F32', shape: [1024, 1024], data });
    }
    writeSafetensors(file, tensors, { purpose: 'large-file test' });
    tensors = undefined; // let the source arrays go before reading back

    const header = readSafetensorsHeader(file);
    expect(statSync(file).size).toBe(header.dataStart + TENSORS * ELEMENTS * 4);
    expect(statSync(file).size).toBeGreaterThanOrEqual(300 * 1024 * 1024);

    const back = readSafetensors(file);
    expect(back.size).toBe(TENSORS);
    const spots = [0, 1, 4095, 4096, 524_287, ELEMENTS - 2, ELEMENTS - 1];
    for (let k = 0; k < 64; k++) spots.push((Math.imul(k + 7, 2654435761) >>> 0) % ELEMENTS);
    for (let t = 0; t < TENSORS; t++) {
      const r = back.get(`layer.${t}.weight`)!;
      expect(r.shape).toEqual([1024, 1024]);
      const u32 = new Uint32Array(r.data.buffer, r.data.byteOffset, ELEMENTS);
      for (const i of spots) if (u32[i] !== bits(t, i)) expect(`${t}:${i} = ${u32[i]}`).toBe(`${t}:${i} = ${bits(t, i)}`);
    }
  });
});
