// A helper of core's own reader tests (not exported from @deitjs/core/test).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { HOSTILE_FILES } from '../io/hostile-files.js';

/** A temp folder removed after the suite: `write` puts bytes in a file there, `hostile` one of the hand-made hostile files. */
export function tempFiles(prefix: string): { write: (name: string, bytes: Uint8Array) => string; hostile: (name: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, bytes: Uint8Array): string => {
    const file = join(dir, name);
    writeFileSync(file, bytes);
    return file;
  };
  return { write, hostile: (name) => write(name, HOSTILE_FILES.find((h) => h.name === name)!.bytes()) };
}
