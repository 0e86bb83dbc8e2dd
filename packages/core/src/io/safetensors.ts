import { closeSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { tempPathFor } from '../atomic.js';
import { CheckpointError } from '../errors.js';
import { withCheckpointFile } from './open-file.js';
import {
  type ReadSafetensorsOptions,
  type SafetensorsHeader,
  assertLittleEndian,
  encodeSafetensorsHeader,
  parseSafetensorsHeader,
  readSafetensorsTensors,
} from './safetensors-format.js';
import type { StateDict } from '../tensor-data.js';

export type { ReadSafetensorsOptions, SafetensorsEntry, SafetensorsHeader } from './safetensors-format.js';

// fs.readSync/writeSync take int32 lengths; big tensors move in chunks below that.
const IO_CHUNK = 1 << 30;

/** Reads exactly `length` bytes at `position` into `target`, or reports a truncated file. */
function readExactly(file: string, fd: number, target: Uint8Array, position: number, tensor?: string): void {
  let done = 0;
  while (done < target.byteLength) {
    const n = readSync(fd, target, done, Math.min(IO_CHUNK, target.byteLength - done), position + done);
    if (n === 0) throw new CheckpointError(file, `unexpected end of file at byte ${position + done}`, tensor);
    done += n;
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.byteLength) {
    done += writeSync(fd, bytes, done, Math.min(IO_CHUNK, bytes.byteLength - done));
  }
}

function parseHeader(file: string, fd: number, fileSize: number): SafetensorsHeader {
  return parseSafetensorsHeader(file, fileSize, (target, position, tensor) => readExactly(file, fd, target, position, tensor));
}

/** Reads and validates the header of a safetensors file (entries, metadata, data start) without its data. */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  return withCheckpointFile(file, (fd, size) => parseHeader(file, fd, size));
}

/**
 * Reads a safetensors file into a StateDict (in data order). Each tensor is read at its offset into its
 * own typed array, so the file is never held in memory twice.
 */
export function readSafetensors(file: string, options: ReadSafetensorsOptions = {}): StateDict {
  assertLittleEndian();
  return withCheckpointFile(file, (fd, size) => {
    const header = parseHeader(file, fd, size);
    return readSafetensorsTensors(file, header, options, (target, position, tensor) => readExactly(file, fd, target, position, tensor));
  });
}

/**
 * Writes a StateDict as safetensors (tensors in the map's order, optional string metadata), streaming tensor
 * by tensor into a temp file that is renamed over `file` only when complete.
 */
export function writeSafetensors(file: string, tensors: StateDict, metadata?: Record<string, string>): void {
  assertLittleEndian();
  const { prefix, header: padded } = encodeSafetensorsHeader(file, tensors, metadata);

  const tmp = tempPathFor(file);
  let fd: number;
  try {
    fd = openSync(tmp, 'w');
  } catch (err) {
    throw new CheckpointError(file, `cannot create: ${(err as Error).message}`, undefined, { cause: err });
  }
  try {
    writeAll(fd, prefix);
    writeAll(fd, padded);
    for (const t of tensors.values()) {
      writeAll(fd, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    }
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, file);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // already closed before the rename failed
    }
    rmSync(tmp, { force: true });
    throw new CheckpointError(file, `write failed: ${(err as Error).message}`, undefined, { cause: err });
  }
}
