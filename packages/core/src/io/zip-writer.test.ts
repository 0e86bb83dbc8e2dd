import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withCheckpointFile } from './open-file.js';
import { readZipDirectory, zipEntryDataOffset } from './zip.js';
import { zipChunks } from './zip-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'deitjs-zip-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('zipChunks', () => {
  it('switches to ZIP64 sizes and offsets past 4 GiB, as miniz does (written sparse: the zeros are skipped)', () => {
    const zeros = new Uint8Array(64 * 1024 * 1024);
    const bigSize = 2 ** 32 + 100;
    function* big() {
      for (let left = bigSize; left > 0; left -= zeros.length) yield left >= zeros.length ? zeros : zeros.subarray(0, left);
    }
    const tail = new TextEncoder().encode('after the big one');
    const file = join(dir, 'big.zip');
    const fd = openSync(file, 'w');
    let at = 0;
    try {
      // Header, descriptor and directory chunks are written; the big entry's zeros only move the position (a hole).
      for (const c of zipChunks([
        { name: 'a/data.pkl', size: 3, chunks: [Uint8Array.of(1, 2, 3)] },
        { name: 'a/data/0', size: bigSize, chunks: big() },
        { name: 'a/version', size: tail.length, chunks: [tail] },
      ])) {
        if (c.buffer !== zeros.buffer) writeSync(fd, c, 0, c.length, at);
        at += c.length;
      }
    } finally {
      closeSync(fd);
    }
    expect(statSync(file).size).toBe(at);
    withCheckpointFile(file, (fd2, size) => {
      const entries = readZipDirectory(file, fd2, size);
      expect(entries.map((e) => [e.name, e.size])).toEqual([
        ['a/data.pkl', 3],
        ['a/data/0', bigSize],
        ['a/version', tail.length],
      ]);
      for (const e of entries) expect(zipEntryDataOffset(file, fd2, size, e) % 64, e.name).toBe(0);
      const last = entries[2]!;
      expect(last.localHeaderOffset).toBeGreaterThan(2 ** 32);
      const got = new Uint8Array(tail.length);
      readSync(fd2, got, 0, got.length, zipEntryDataOffset(file, fd2, size, last));
      expect(new TextDecoder().decode(got)).toBe('after the big one');
    });
  }, 120_000);
});
