import { closeSync, constants, fstatSync, openSync, statSync } from 'node:fs';
import { CheckpointError, DeitError } from '../errors.js';
import { quote } from '../quote.js';

// Opening a FIFO for reading waits for a writer; O_NONBLOCK makes that open return at once (it does nothing to a
// regular file). Windows has no FIFOs and no such flag.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** What a non-regular file is, for the refusal message. */
function kindOf(stat: import('node:fs').Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Opens a checkpoint for reading and runs `fn` with its descriptor and size, closing it afterwards. The path is
 * checked to be a regular file before it is opened (a FIFO or device would block or never end), and again
 * through the descriptor. Every failure is a CheckpointError naming the file: an error of any other type thrown
 * while reading (a reader bug) is wrapped in one, with the original as its `cause`.
 */
export function withCheckpointFile<T>(file: string, fn: (fd: number, size: number) => T): T {
  let fd: number;
  try {
    const before = statSync(file);
    if (!before.isFile()) throw new CheckpointError(file, `is ${kindOf(before)}, not a regular file`);
    fd = openSync(file, OPEN_FLAGS);
  } catch (err) {
    if (err instanceof CheckpointError) throw err;
    throw new CheckpointError(file, `cannot open: ${(err as Error).message}`, undefined, { cause: err });
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new CheckpointError(file, `is ${kindOf(stat)}, not a regular file`);
    return fn(fd, stat.size);
  } catch (err) {
    if (err instanceof DeitError) throw err;
    throw new CheckpointError(file, `cannot be read (internal error: ${describe(err)})`, undefined, { cause: err });
  } finally {
    closeSync(fd);
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${quote(err.message, { maxLength: 200 })}`;
  return quote(err);
}
