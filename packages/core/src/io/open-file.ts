import { closeSync, fstatSync, openSync } from 'node:fs';
import { CheckpointError } from '../errors.js';

/**
 * Opens a checkpoint for reading and runs `fn` with its descriptor and size, closing it afterwards. A missing
 * file, a directory or an unreadable path becomes a CheckpointError naming it.
 */
export function withCheckpointFile<T>(file: string, fn: (fd: number, size: number) => T): T {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new CheckpointError(file, `cannot open: ${(err as Error).message}`, undefined, { cause: err });
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new CheckpointError(file, 'is not a regular file');
    return fn(fd, stat.size);
  } finally {
    closeSync(fd);
  }
}
