import { readSync } from 'node:fs';
import { CheckpointError } from '../errors.js';
import { quote } from '../quote.js';

/** One entry of a zip archive's central directory. */
export interface ZipEntry {
  /** Path inside the archive. */
  name: string;
  /** Compression method (0 = stored, the only one torch writes). */
  method: number;
  /** Bytes the entry occupies in the archive. */
  compressedSize: number;
  /** Bytes of the entry's content. */
  size: number;
  /** Offset of the entry's local header. */
  localHeaderOffset: number;
  /** Where the next entry (or the central directory) begins: the entry's content must end before it. */
  end: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
// The end-of-central-directory record is 22 bytes plus a comment of at most 65535.
const EOCD_SEARCH = 22 + 0xffff;

function readAt(file: string, fd: number, fileSize: number, position: number, length: number, what: string): DataView {
  // Checked before allocating: a corrupt offset or size must not ask for more than the file holds.
  if (position < 0 || position + length > fileSize) {
    throw new CheckpointError(file, `zip is truncated or corrupt: ${what} [${position}, ${position + length}) runs past the end (${fileSize} bytes)`);
  }
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, Math.min(1 << 30, length - done), position + done);
    if (n === 0) throw new CheckpointError(file, `zip is truncated: ${what} at byte ${position} runs past the end`);
    done += n;
  }
  return new DataView(buf.buffer);
}

function u64(view: DataView, at: number, file: string): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new CheckpointError(file, `zip offset ${v} is too large`);
  return Number(v);
}

/**
 * Reads the central directory of a zip archive (with ZIP64 records when present), locating it from the
 * end-of-central-directory record at the end of the file.
 */
export function readZipDirectory(file: string, fd: number, fileSize: number): ZipEntry[] {
  const tailLen = Math.min(fileSize, EOCD_SEARCH);
  const tail = readAt(file, fd, fileSize, fileSize - tailLen, tailLen, 'tail');
  let eocd = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (tail.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new CheckpointError(file, 'zip is truncated or corrupt: no end-of-central-directory record');
  let count = tail.getUint16(eocd + 10, true);
  let cdSize = tail.getUint32(eocd + 12, true);
  let cdOffset = tail.getUint32(eocd + 16, true);
  const locator = eocd - 20;
  if (locator >= 0 && tail.getUint32(locator, true) === ZIP64_LOCATOR) {
    const recordAt = u64(tail, locator + 8, file);
    const rec = readAt(file, fd, fileSize, recordAt, 56, 'ZIP64 end-of-central-directory record');
    if (rec.getUint32(0, true) !== ZIP64_EOCD) throw new CheckpointError(file, 'zip is corrupt: bad ZIP64 end-of-central-directory record');
    count = u64(rec, 32, file);
    cdSize = u64(rec, 40, file);
    cdOffset = u64(rec, 48, file);
  }
  if (cdOffset + cdSize > fileSize) {
    throw new CheckpointError(file, `zip is truncated: central directory [${cdOffset}, ${cdOffset + cdSize}) runs past the end (${fileSize} bytes)`);
  }
  const cd = readAt(file, fd, fileSize, cdOffset, cdSize, 'central directory');
  const decoder = new TextDecoder('utf-8');
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdSize || cd.getUint32(p, true) !== CENTRAL) throw new CheckpointError(file, `zip is corrupt: central directory entry ${i} is malformed`);
    const method = cd.getUint16(p + 10, true);
    let compressedSize = cd.getUint32(p + 20, true);
    let size = cd.getUint32(p + 24, true);
    const nameLen = cd.getUint16(p + 28, true);
    const extraLen = cd.getUint16(p + 30, true);
    const commentLen = cd.getUint16(p + 32, true);
    let localHeaderOffset = cd.getUint32(p + 42, true);
    if (p + 46 + nameLen + extraLen > cdSize) throw new CheckpointError(file, `zip is corrupt: central directory entry ${i} is malformed`);
    const name = decoder.decode(new Uint8Array(cd.buffer, p + 46, nameLen));
    // ZIP64 extra field: the 64-bit values of exactly those fields saturated at 0xFFFFFFFF, in this order, each
    // read only if the field's declared length holds it and that length lies inside the extra data.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = cd.getUint16(e, true);
      const len = cd.getUint16(e + 2, true);
      if (e + 4 + len > extraEnd) throw new CheckpointError(file, `zip is corrupt: an extra field of ${quote(name)} runs past its entry`);
      if (id === 0x0001) {
        let q = e + 4;
        const end = q + len;
        const next = (what: string): number => {
          if (q + 8 > end) throw new CheckpointError(file, `zip is corrupt: the ZIP64 extra field of ${quote(name)} (${len} bytes) lacks its ${what}`);
          const v = u64(cd, q, file);
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = next('size');
        if (compressedSize === 0xffffffff) compressedSize = next('compressed size');
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = next('local header offset');
      }
      e += 4 + len;
    }
    // Nothing may be allocated from a size the file cannot back: stored content is as long as its compressed
    // form, and no entry is larger than the archive holding it.
    if (method === 0 && size !== compressedSize) {
      throw new CheckpointError(file, `zip is corrupt: stored entry ${quote(name)} claims ${size} bytes but occupies ${compressedSize}`);
    }
    if (compressedSize > fileSize || localHeaderOffset >= fileSize) {
      throw new CheckpointError(file, `zip is corrupt: entry ${quote(name)} (${compressedSize} bytes at byte ${localHeaderOffset}) lies outside the ${fileSize}-byte file`);
    }
    entries.push({ name, method, compressedSize, size, localHeaderOffset, end: fileSize });
    p += 46 + nameLen + extraLen + commentLen;
  }
  // Entries must not overlap: each ends before the next local header (or the central directory), so a forged
  // size cannot make one entry read another's bytes, nor two names share one content.
  const byOffset = [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  for (let i = 0; i < byOffset.length; i++) {
    const cur = byOffset[i]!;
    const next = byOffset[i + 1];
    if (next !== undefined && next.localHeaderOffset === cur.localHeaderOffset) {
      throw new CheckpointError(file, `zip is corrupt: entries ${quote(cur.name)} and ${quote(next.name)} share the local header at byte ${cur.localHeaderOffset}`);
    }
    const boundary = next?.localHeaderOffset ?? fileSize;
    cur.end = cur.localHeaderOffset < cdOffset ? Math.min(boundary, cdOffset) : boundary;
  }
  return entries;
}

/** The absolute offset of an entry's content (after its local header), checked to lie inside the file. */
export function zipEntryDataOffset(file: string, fd: number, fileSize: number, entry: ZipEntry): number {
  const local = readAt(file, fd, fileSize, entry.localHeaderOffset, 30, `local header of ${quote(entry.name)}`);
  if (local.getUint32(0, true) !== LOCAL) throw new CheckpointError(file, `zip is corrupt: bad local header of ${quote(entry.name)}`);
  const start = entry.localHeaderOffset + 30 + local.getUint16(26, true) + local.getUint16(28, true);
  if (start + entry.compressedSize > fileSize) {
    throw new CheckpointError(file, `zip is truncated: entry ${quote(entry.name)} ends at byte ${start + entry.compressedSize} of ${fileSize}`);
  }
  if (start + entry.compressedSize > entry.end) {
    throw new CheckpointError(file, `zip is corrupt: entry ${quote(entry.name)} ends at byte ${start + entry.compressedSize}, past the start of the next entry at byte ${entry.end}`);
  }
  return start;
}
