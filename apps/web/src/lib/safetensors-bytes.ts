import { ARRAY_OF_DTYPE, CheckpointError, DTYPE_BYTES, type FileDType, type StateDict, numel } from '@deitjs/core';

// safetensors in memory (the page has bytes from fetch or a dropped file, not a path): 8-byte little-endian header
// length, a JSON header {name: {dtype, shape, data_offsets}, __metadata__?}, then the tensors' bytes.

const METADATA_KEY = '__metadata__';
const isFileDType = (s: unknown): s is FileDType => typeof s === 'string' && s in DTYPE_BYTES;

/** Parses safetensors bytes into a state dict; `source` names the file in a CheckpointError. */
export function parseSafetensors(bytes: ArrayBuffer, source: string): StateDict {
  if (bytes.byteLength < 8) throw new CheckpointError(source, `file is truncated: ${bytes.byteLength} bytes`);
  const headerLen = Number(new DataView(bytes).getBigUint64(0, true));
  if (headerLen > bytes.byteLength - 8) throw new CheckpointError(source, `header length ${headerLen} runs past the end of the file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes, 8, headerLen))) as Record<string, unknown>;
  } catch (err) {
    throw new CheckpointError(source, `header is not valid JSON (${(err as Error).message})`);
  }
  const dataStart = 8 + headerLen;
  const out: StateDict = new Map();
  for (const [name, raw] of Object.entries(header)) {
    if (name === METADATA_KEY) continue;
    const { dtype, shape, data_offsets: offsets } = raw as { dtype: unknown; shape: number[]; data_offsets: [number, number] };
    if (!isFileDType(dtype)) throw new CheckpointError(source, `unknown dtype ${String(dtype)}`, name);
    const [begin, end] = offsets;
    if (!(end - begin === numel(shape) * DTYPE_BYTES[dtype] && dataStart + end <= bytes.byteLength)) {
      throw new CheckpointError(source, `data_offsets [${begin}, ${end}] do not fit shape [${shape.join(', ')}] ${dtype} in the file`, name);
    }
    // A copy per tensor: the file offset need not be aligned for the element type.
    const data = new ARRAY_OF_DTYPE[dtype](numel(shape));
    new Uint8Array(data.buffer).set(new Uint8Array(bytes, dataStart + begin, end - begin));
    out.set(name, { dtype, shape: [...shape], data });
  }
  return out;
}

/** Serialises a state dict as safetensors bytes (tensors in map order), as timm and `safetensors.torch` read them. */
export function serializeSafetensors(tensors: StateDict, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = Object.keys(metadata).length > 0 ? { [METADATA_KEY]: metadata } : {};
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces to a multiple of 8 bytes, as the reference writer does (aligned data).
  const raw = new TextEncoder().encode(json);
  json += ' '.repeat((8 - ((8 + raw.length) % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}
