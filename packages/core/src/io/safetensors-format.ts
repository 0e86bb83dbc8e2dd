// The safetensors format itself — header validation, tensor checks, header encoding — on bytes from any source:
// a file in Node (io/safetensors.ts), an ArrayBuffer, Blob or URL anywhere (io/safetensors-bytes.ts).
import { CheckpointError } from '../errors.js';
import { quote } from '../quote.js';
import { ARRAY_OF_DTYPE, DTYPE_BYTES, type FileDType, type HostTensor, numel, type StateDict } from '../tensor-data.js';

/** One tensor's entry in a safetensors header. */
export interface SafetensorsEntry {
  /** The tensor's name (the header key). */
  name: string;
  /** Its element type. */
  dtype: FileDType;
  /** Its shape. */
  shape: number[];
  /** `[begin, end)` byte offsets relative to the start of the data section. */
  dataOffsets: [number, number];
}

/** The parsed header of a safetensors file. */
export interface SafetensorsHeader {
  /** Tensor entries in data order (by begin offset). */
  entries: SafetensorsEntry[];
  /** The free-form `__metadata__` string map (empty when absent). */
  metadata: Record<string, string>;
  /** Absolute byte offset where the data section starts (8 + header length). */
  dataStart: number;
  /** Size of the file in bytes. */
  fileSize: number;
}

/** Options of {@link readSafetensors}. */
export interface ReadSafetensorsOptions {
  /** Read only these tensors (each must exist); default all. */
  names?: readonly string[];
}

export const METADATA_KEY = '__metadata__';
// The reference implementation refuses headers above 100 MB; a larger length means a corrupt file, and
// honouring it would allocate that much before parsing fails.
const MAX_HEADER_BYTES = 100_000_000;

const DTYPES = new Set<string>(Object.keys(DTYPE_BYTES));

function isFileDType(s: unknown): s is FileDType {
  return typeof s === 'string' && DTYPES.has(s);
}

/** A shape for a message, bounded however many dimensions it has. */
const dims = (shape: readonly number[]) => quote(shape, { maxItems: 12, maxLength: 120 });

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Fills `target` with the bytes at `position` of the source, or throws a CheckpointError (truncated source). */
export type ReadExactly = (target: Uint8Array, position: number, tensor?: string) => void;

/** Parses and validates a safetensors header from a source of `fileSize` bytes (`file` names it in errors). */
export function parseSafetensorsHeader(file: string, fileSize: number, read: ReadExactly): SafetensorsHeader {
  if (fileSize < 8) throw new CheckpointError(file, `file is truncated: ${fileSize} bytes, a safetensors file needs at least 8`);
  const lenBytes = new Uint8Array(8);
  read(lenBytes, 0);
  const headerLen = new DataView(lenBytes.buffer).getBigUint64(0, true);
  if (headerLen > BigInt(fileSize - 8)) {
    throw new CheckpointError(file, `header length ${headerLen} runs past the end of the file (${fileSize} bytes)`);
  }
  if (headerLen > BigInt(MAX_HEADER_BYTES)) {
    throw new CheckpointError(file, `header length ${headerLen} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const dataStart = 8 + Number(headerLen);
  const headerBytes = new Uint8Array(Number(headerLen));
  read(headerBytes, 8);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (err) {
    throw new CheckpointError(file, `header is not valid JSON (${(err as Error).message})`, undefined, { cause: err });
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new CheckpointError(file, 'header is not a JSON object');
  }
  const dataSize = fileSize - dataStart;
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
        throw new CheckpointError(file, '__metadata__ is not an object of strings');
      }
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new CheckpointError(file, `__metadata__ value of ${quote(k)} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (raw === null || typeof raw !== 'object') throw new CheckpointError(file, 'header entry is not an object', name);
    const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
    if (!isFileDType(dtype)) {
      throw new CheckpointError(file, `unknown dtype ${quote(dtype)} (supported: ${[...DTYPES].join(', ')})`, name);
    }
    if (!Array.isArray(shape) || !shape.every(isIndex)) {
      throw new CheckpointError(file, `shape ${quote(shape)} is not a list of non-negative integers`, name);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) {
      throw new CheckpointError(file, `data_offsets ${quote(offsets)} is not a pair of non-negative integers`, name);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > dataSize) {
      throw new CheckpointError(
        file,
        `data_offsets [${begin}, ${end}] out of range: the data section holds ${dataSize} bytes (file truncated?)`,
        name,
      );
    }
    const expected = numel(shape) * DTYPE_BYTES[dtype];
    if (end - begin !== expected) {
      throw new CheckpointError(
        file,
        `shape ${dims(shape)} × ${dtype} needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`,
        name,
      );
    }
    entries.push({ name, dtype, shape: [...shape], dataOffsets: [begin, end] });
  }
  // Data order; an empty tensor sorts before a non-empty one at the same offset, and the stable sort keeps
  // header order otherwise.
  entries.sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  // As the reference implementation (safetensors `Metadata::validate` and `read_metadata`): in data order each
  // tensor starts where the previous one ended, from 0, and the last one ends at the end of the file. A gap or
  // trailing bytes would be data no tensor accounts for.
  let last: SafetensorsEntry | undefined;
  let at = 0;
  for (const cur of entries) {
    const [begin] = cur.dataOffsets;
    if (begin < at) {
      throw new CheckpointError(file, `data_offsets [${cur.dataOffsets.join(', ')}] overlap those of ${quote(last!.name)} [${last!.dataOffsets.join(', ')}]`, cur.name);
    }
    if (begin > at) {
      const after = last === undefined ? 'the start of the data section' : `the end of ${quote(last.name)} (byte ${at})`;
      throw new CheckpointError(file, `data_offsets [${cur.dataOffsets.join(', ')}] leave a gap of ${begin - at} bytes after ${after}`, cur.name);
    }
    at = cur.dataOffsets[1];
    last = cur;
  }
  if (at !== dataSize) {
    throw new CheckpointError(file, `${dataSize - at} trailing bytes after the last tensor's data (the data section holds ${dataSize} bytes, the tensors ${at})`);
  }
  return { entries, metadata, dataStart, fileSize };
}

/** Reads the tensors of a parsed header (all, or `options.names`, each of which must exist) in data order. */
export function readSafetensorsTensors(file: string, header: SafetensorsHeader, options: ReadSafetensorsOptions, read: ReadExactly): StateDict {
  let wanted = header.entries;
  if (options.names !== undefined) {
    const byName = new Map(header.entries.map((e) => [e.name, e]));
    for (const n of options.names) {
      if (!byName.has(n)) throw new CheckpointError(file, 'no such tensor in the file', n);
    }
    const set = new Set(options.names);
    wanted = header.entries.filter((e) => set.has(e.name));
  }
  const out: StateDict = new Map();
  for (const e of wanted) {
    // A fresh buffer per tensor is aligned for its element type, whatever the source offset.
    const data = new ARRAY_OF_DTYPE[e.dtype](numel(e.shape));
    read(new Uint8Array(data.buffer), header.dataStart + e.dataOffsets[0], e.name);
    out.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return out;
}

/** Throws unless the host is little-endian (safetensors data is, and typed arrays use the host order). */
export function assertLittleEndian(): void {
  // safetensors data is little-endian and typed arrays use the host order; every Node platform in use is LE.
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new Error('deitjs checkpoint I/O needs a little-endian host');
  }
}

/** Checks one tensor before it is written (name, dtype, shape, data type and length). */
export function checkTensor(file: string, name: string, t: HostTensor): void {
  if (name === METADATA_KEY) throw new CheckpointError(file, 'reserved name, cannot be a tensor', name);
  if (!isFileDType(t.dtype)) throw new CheckpointError(file, `unknown dtype ${quote(t.dtype)}`, name);
  if (!Array.isArray(t.shape) || !t.shape.every(isIndex)) {
    throw new CheckpointError(file, `shape ${quote(t.shape)} is not a list of non-negative integers`, name);
  }
  const cls = ARRAY_OF_DTYPE[t.dtype];
  if (!(t.data instanceof cls)) {
    throw new CheckpointError(file, `${t.dtype} data must be a ${cls.name}, got ${t.data?.constructor?.name}`, name);
  }
  if (t.data.length !== numel(t.shape)) {
    throw new CheckpointError(file, `shape ${dims(t.shape)} has ${numel(t.shape)} elements but data holds ${t.data.length}`, name);
  }
}

/**
 * The 8-byte length prefix and the JSON header (space-padded so the data section starts 8-byte aligned, which the
 * format allows and which lets readers map tensors in place) of a safetensors file holding `tensors` in map order.
 */
export function encodeSafetensorsHeader(file: string, tensors: StateDict, metadata?: Record<string, string>): { prefix: Uint8Array; header: Uint8Array } {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new CheckpointError(file, `metadata value of ${quote(k)} is not a string`);
    }
    header[METADATA_KEY] = metadata;
  }
  let offset = 0;
  for (const [name, t] of tensors) {
    checkTensor(file, name, t);
    const end = offset + t.data.byteLength;
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, end] };
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = new Uint8Array(Math.ceil(json.byteLength / 8) * 8).fill(0x20);
  padded.set(json);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(padded.byteLength), true);
  return { prefix, header: padded };
}
