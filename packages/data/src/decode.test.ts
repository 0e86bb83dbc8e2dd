import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError } from './dataset-error.js';
import { decodeImage } from './decode.js';

const dir = mkdtempSync(join(tmpdir(), 'deitjs-decode-'));
let hold: ChildProcess | undefined;

beforeAll(() => {
  mkdirSync(join(dir, 'folder.png'));
  execFileSync('mkfifo', [join(dir, 'fifo.png')]);
  // Unblocks a reader stuck on the FIFO after 20 s: a hang fails the test on time instead of freezing it.
  hold = spawn('sh', ['-c', `sleep 20; : > '${join(dir, 'fifo.png')}'`], { stdio: 'ignore' });
});
afterAll(() => {
  hold?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('decodeImage on what is not an image file', () => {
  it.each([
    ['fifo.png', /fifo\.png: cannot decode image: is a FIFO, not a regular file/],
    ['folder.png', /folder\.png: cannot decode image: is a directory, not a regular file/],
  ])('%s → a DatasetError naming it, at once', async (name, message) => {
    const t0 = performance.now();
    const err = await decodeImage(join(dir, name)).catch((e: unknown) => e);
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).path).toBe(join(dir, name));
    expect((err as Error).message).toMatch(message);
  });
});
