import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic.js';

const dir = mkdtempSync(join(tmpdir(), 'deitjs-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('replaces the file only when every chunk is written', () => {
    const f = join(dir, 'a.txt');
    writeFileSync(f, 'old');
    writeFileAtomic(f, ['new ', new Uint8Array([111, 107])]);
    expect(readFileSync(f, 'utf8')).toBe('new ok');
  });

  it('leaves the old file and no temp file behind when writing fails midway', () => {
    const f = join(dir, 'b.txt');
    writeFileSync(f, 'keep me');
    function* failing(): Generator<string> {
      yield 'partial';
      throw new Error('disk on fire');
    }
    expect(() => writeFileAtomic(f, failing())).toThrow('disk on fire');
    expect(readFileSync(f, 'utf8')).toBe('keep me');
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
