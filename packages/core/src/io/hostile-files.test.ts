import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointError } from '../errors.js';
import { HOSTILE_FILES } from './hostile-files.js';
import { readCheckpoint } from './state-dict-file.js';

const dir = mkdtempSync(join(tmpdir(), 'deitjs-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

describe('every hand-made hostile file: a typed refusal naming the file, quickly, in one printable line', () => {
  it.each(HOSTILE_FILES.map((h) => [h.name, h] as const))('%s', (name, h) => {
    const file = join(dir, name);
    writeFileSync(file, h.bytes());
    const t = Date.now();
    let caught: unknown;
    try {
      readCheckpoint(file);
    } catch (err) {
      caught = err;
    }
    expect(Date.now() - t).toBeLessThan(5000);
    if (caught === undefined) {
      expect(h.expect).toBe('ok');
      return;
    }
    expect(caught).toBeInstanceOf(CheckpointError);
    const e = caught as CheckpointError;
    expect(e.cause, 'a wrapped internal error is a reader bug').toBeUndefined();
    expect(e.file).toBe(file);
    expect(e.message.startsWith(`${file}`)).toBe(true);
    expect(e.message.length).toBeLessThan(1600);
    expect(CONTROL.test(e.message)).toBe(false);
  });
});
