import * as zlib from 'node:zlib';

/** One entry of a {@link zipChunks} archive: a name and its content as a sequence of byte chunks. */
export interface ZipWriterEntry {
  /** Path inside the archive (UTF-8). */
  name: string;
  /** Total bytes of `chunks`: the alignment padding before the content depends on it. */
  size: number;
  /** The content, streamed (e.g. views of tensor data, never copied into one buffer). */
  chunks: Iterable<Uint8Array>;
}

/** Options of {@link zipChunks}. */
export interface ZipWriterOptions {
  /** Content offsets are multiples of this (torch: 64, so storages can be memory-mapped aligned). Default 64. */
  alignment?: number;
}

const U32_MAX = 0xffffffff;
const LOCAL = 0x04034b50;
const DESCRIPTOR = 0x08074b50;
const CENTRAL = 0x02014b50;
const ZIP64_EOCD = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const EOCD = 0x06054b50;
// General-purpose flags miniz sets: bit 3 (sizes and CRC in a data descriptor after the content), bit 11 (UTF-8 names).
const FLAGS = 0x0808;

let crcTable: Uint32Array | undefined;
/** CRC-32 (zip's polynomial), continuing from `crc`: node's zlib.crc32 (Node ≥ 20.15) or a table-driven fallback. */
function crc32(bytes: Uint8Array, crc: number): number {
  const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  if (native !== undefined) return native(bytes, crc);
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** A little-endian record builder. */
class Record {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private at = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u16(v: number): this {
    this.view.setUint16(this.at, v, true);
    this.at += 2;
    return this;
  }
  u32(v: number): this {
    this.view.setUint32(this.at, v, true);
    this.at += 4;
    return this;
  }
  u64(v: number): this {
    this.view.setBigUint64(this.at, BigInt(v), true);
    this.at += 8;
    return this;
  }
  raw(b: Uint8Array): this {
    this.bytes.set(b, this.at);
    this.at += b.length;
    return this;
  }
}

/** The ZIP64 extra field (id 1) with the given 64-bit values, in the order size, compressed size, offset. */
function zip64Extra(values: number[]): Uint8Array {
  const r = new Record(4 + 8 * values.length).u16(1).u16(8 * values.length);
  for (const v of values) r.u64(v);
  return r.bytes;
}

/**
 * The bytes of a stored (uncompressed) zip archive, yielded chunk by chunk, laid out exactly as PyTorch's
 * `PyTorchStreamWriter` (miniz) does: zeroed local-header CRC/sizes/time with a data descriptor after each
 * entry, an `FB` extra field of `Z` padding aligning each content to `alignment` bytes, central entries without
 * extras, and the ZIP64 end records always written. ZIP64 extras appear only where a size or offset reaches
 * 2^32 − 1, as miniz writes them.
 */
export function* zipChunks(entries: Iterable<ZipWriterEntry>, options: ZipWriterOptions = {}): Generator<Uint8Array> {
  const alignment = options.alignment ?? 64;
  const encoder = new TextEncoder();
  const central: Uint8Array[] = [];
  let cursor = 0;
  let count = 0;
  for (const entry of entries) {
    const name = encoder.encode(entry.name);
    const offset = cursor;
    const big = entry.size >= U32_MAX;
    const farOffset = offset >= U32_MAX;
    // torch's getPadding(): where the content would start, then enough padding (plus the 4-byte FB header) to align it.
    const localZip64 = big || farOffset ? zip64Extra([...(big ? [entry.size, 0] : []), ...(farOffset ? [offset] : [])]) : new Uint8Array(0);
    const start = offset + 30 + name.length + localZip64.length + 4;
    const padding = (alignment - (start % alignment)) % alignment;
    const extra = new Uint8Array(4 + padding).fill(0x5a);
    extra.set([0x46, 0x42, padding & 0xff, padding >>> 8]);
    const header = new Record(30 + name.length + localZip64.length + extra.length)
      .u32(LOCAL)
      .u16(0) // version needed: miniz writes 0 for stored entries
      .u16(FLAGS)
      .u16(0) // method: stored
      .u16(0) // time
      .u16(0) // date
      .u32(0) // CRC, in the descriptor
      .u32(0) // compressed size, in the descriptor
      .u32(0) // size, in the descriptor
      .u16(name.length)
      .u16(localZip64.length + extra.length)
      .raw(name)
      .raw(localZip64)
      .raw(extra);
    yield header.bytes;
    cursor += header.bytes.length;
    let crc = 0;
    let written = 0;
    for (const chunk of entry.chunks) {
      crc = crc32(chunk, crc);
      written += chunk.length;
      yield chunk;
    }
    if (written !== entry.size) throw new RangeError(`zip entry ${entry.name}: declared ${entry.size} bytes, its chunks hold ${written}`);
    cursor += written;
    const zip64Descriptor = localZip64.length > 0;
    const descriptor = new Record(zip64Descriptor ? 24 : 16).u32(DESCRIPTOR).u32(crc);
    if (zip64Descriptor) descriptor.u64(written).u64(written);
    else descriptor.u32(written).u32(written);
    yield descriptor.bytes;
    cursor += descriptor.bytes.length;
    const centralZip64 = big || farOffset ? zip64Extra([...(big ? [written, written] : []), ...(farOffset ? [offset] : [])]) : new Uint8Array(0);
    central.push(
      new Record(46 + name.length + centralZip64.length)
        .u32(CENTRAL)
        .u16(0) // version made by
        .u16(0) // version needed
        .u16(FLAGS)
        .u16(0) // method
        .u16(0) // time
        .u16(0) // date
        .u32(crc)
        .u32(Math.min(written, U32_MAX))
        .u32(Math.min(written, U32_MAX))
        .u16(name.length)
        .u16(centralZip64.length)
        .u16(0) // comment length
        .u16(0) // disk
        .u16(0) // internal attributes
        .u32(0) // external attributes
        .u32(Math.min(offset, U32_MAX))
        .raw(name)
        .raw(centralZip64).bytes,
    );
    count++;
  }
  const cdOffset = cursor;
  let cdSize = 0;
  for (const c of central) {
    yield c;
    cdSize += c.length;
  }
  cursor += cdSize;
  yield new Record(56)
    .u32(ZIP64_EOCD)
    .u64(44) // size of the rest of the record
    .u16(0x031e) // made by: Unix, 3.0 (miniz's constant)
    .u16(0x002d) // needed: 4.5 (ZIP64)
    .u32(0)
    .u32(0)
    .u64(count)
    .u64(count)
    .u64(cdSize)
    .u64(cdOffset).bytes;
  yield new Record(20).u32(ZIP64_LOCATOR).u32(0).u64(cursor).u32(1).bytes;
  yield new Record(22)
    .u32(EOCD)
    .u16(0)
    .u16(0)
    .u16(Math.min(count, 0xffff))
    .u16(Math.min(count, 0xffff))
    .u32(Math.min(cdSize, U32_MAX))
    .u32(Math.min(cdOffset, U32_MAX))
    .u16(0).bytes;
}
