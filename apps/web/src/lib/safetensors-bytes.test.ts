import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError, type StateDict, readSafetensors, writeSafetensors } from '@deitjs/core';
import { describe, expect, it } from 'vitest';
import { parseSafetensors, serializeSafetensors } from './safetensors-bytes.js';

const sd: StateDict = new Map([
  ['head.weight', { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, -2, 3.5, 0, 1e-7, -0]) }],
  ['odd', { dtype: 'U8', shape: [3], data: new Uint8Array([1, 2, 255]) }],
  ['head.bias', { dtype: 'F32', shape: [2], data: new Float32Array([0.25, -8]) }],
]);

describe('safetensors bytes', () => {
  it('writes what core\'s file reader reads, and reads what core\'s file writer writes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'deit-web-st-'));
    try {
      const mine = join(dir, 'mine.safetensors');
      writeFileSync(mine, serializeSafetensors(sd, { format: 'pt' }));
      const back = readSafetensors(mine);
      expect([...back.keys()]).toEqual([...sd.keys()]);
      for (const [k, t] of sd) expect(Array.from(back.get(k)!.data as Float32Array)).toEqual(Array.from(t.data as Float32Array));
      const theirs = join(dir, 'theirs.safetensors');
      writeSafetensors(theirs, sd, { format: 'pt' });
      const bytes = new Uint8Array(readFileSync(theirs));
      const parsed = parseSafetensors(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), 'theirs');
      for (const [k, t] of sd) {
        expect(parsed.get(k)!.shape).toEqual(t.shape);
        expect(Array.from(parsed.get(k)!.data as Float32Array)).toEqual(Array.from(t.data as Float32Array));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pads the header so the data starts 8-byte aligned', () => {
    const bytes = serializeSafetensors(sd);
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLen) % 8).toBe(0);
  });

  it('refuses a truncated file, naming it', () => {
    const bytes = serializeSafetensors(sd);
    expect(() => parseSafetensors(bytes.buffer.slice(0, bytes.length - 4), 'cut.safetensors')).toThrow(CheckpointError);
    expect(() => parseSafetensors(new ArrayBuffer(4), 'tiny.safetensors')).toThrow(/tiny.safetensors/);
  });
});
