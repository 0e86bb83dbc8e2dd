import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointError } from '../errors.js';
import { withCheckpointFile } from './open-file.js';
import { readCheckpoint } from './state-dict-file.js';
import { refusal } from '../test/checkpoint-error.js';

const dir = mkdtempSync(join(tmpdir(), 'deitjs-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('withCheckpointFile: only regular files are opened', () => {
  it('a FIFO with no writer is refused at once instead of blocking', () => {
    const fifo = join(dir, 'pipe.pth');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const e = refusal(() => readCheckpoint(fifo));
    expect(e.file).toBe(fifo);
    expect(e.message).toBe(`${fifo}: is a FIFO, not a regular file`);
  });

  it('a character device (which never ends) and a directory are refused', () => {
    expect(refusal(() => readCheckpoint('/dev/zero')).message).toBe('/dev/zero: is a device, not a regular file');
    expect(refusal(() => readCheckpoint(dir)).message).toBe(`${dir}: is a directory, not a regular file`);
  });

  it('a missing file names the file', () => {
    expect(refusal(() => readCheckpoint(join(dir, 'nope.pth'))).message).toMatch(/nope\.pth: cannot open: ENOENT/);
  });

  it('an untyped error thrown while reading (a reader bug) is wrapped in a CheckpointError with the cause', () => {
    const file = join(dir, 'x.bin');
    writeFileSync(file, 'x');
    const bug = new RangeError('Offset is outside the bounds of the DataView');
    const e = refusal(() =>
      withCheckpointFile(file, () => {
        throw bug;
      }),
    );
    expect(e.cause).toBe(bug);
    expect(e.message).toBe(`${file}: cannot be read (internal error: RangeError: "Offset is outside the bounds of the DataView")`);
    // Typed errors pass through untouched.
    const typed = new CheckpointError(file, 'bad header');
    expect(
      refusal(() =>
        withCheckpointFile(file, () => {
          throw typed;
        }),
      ),
    ).toBe(typed);
  });
});
