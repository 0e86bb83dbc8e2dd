import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A temp-file path beside `file`, on the same file system so that rename is atomic. */
export function tempPathFor(file: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}.${Date.now().toString(36)}.tmp`);
}

/**
 * Writes a file atomically: the chunks go to a temp file beside it, which is flushed and renamed over
 * `file` only when complete, so a crash or Ctrl-C leaves either the old file or the new one.
 */
export function writeFileAtomic(file: string, chunks: Iterable<Uint8Array | string>): void {
  const tmp = tempPathFor(file);
  const fd = openSync(tmp, 'w');
  try {
    for (const c of chunks) {
      const buf = typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
      let off = 0;
      while (off < buf.byteLength) off += writeSync(fd, buf, off, buf.byteLength - off);
    }
    fsyncSync(fd);
    closeSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  renameSync(tmp, file);
}
