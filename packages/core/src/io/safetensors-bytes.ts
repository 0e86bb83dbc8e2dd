// safetensors in memory: the same validation as the file reader (io/safetensors-format.ts), on bytes a browser
// fetched or a user picked, and the bytes of a file to download or upload.
import { CheckpointError } from '../errors.js';
import type { StateDict } from '../tensor-data.js';
import {
  type ReadSafetensorsOptions,
  type SafetensorsHeader,
  assertLittleEndian,
  encodeSafetensorsHeader,
  parseSafetensorsHeader,
  readSafetensorsTensors,
} from './safetensors-format.js';

/** Options of {@link parseSafetensors} and {@link parseSafetensorsHeaderBytes}. */
export interface ParseSafetensorsOptions extends ReadSafetensorsOptions {
  /** What the bytes are, for error messages (a file name or URL; default `safetensors bytes`). */
  source?: string;
}

/** A view of `bytes` as a Uint8Array (no copy). */
export function asUint8Array(bytes: ArrayBuffer | ArrayBufferView): Uint8Array {
  return bytes instanceof Uint8Array
    ? bytes
    : ArrayBuffer.isView(bytes)
      ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      : new Uint8Array(bytes);
}

function byteReader(source: string, bytes: Uint8Array) {
  return (target: Uint8Array, position: number, tensor?: string): void => {
    if (position + target.byteLength > bytes.byteLength) {
      throw new CheckpointError(source, `unexpected end of data at byte ${Math.min(position, bytes.byteLength)}`, tensor);
    }
    target.set(bytes.subarray(position, position + target.byteLength));
  };
}

/** Parses and validates the header of safetensors bytes (entries, metadata, data start). */
export function parseSafetensorsHeaderBytes(bytes: ArrayBuffer | ArrayBufferView, options: ParseSafetensorsOptions = {}): SafetensorsHeader {
  const view = asUint8Array(bytes);
  const source = options.source ?? 'safetensors bytes';
  return parseSafetensorsHeader(source, view.byteLength, byteReader(source, view));
}

/**
 * Parses safetensors bytes into a StateDict (in data order), with the checks of {@link readSafetensors}: a truncated,
 * overlapping or oversized header is a CheckpointError naming `options.source`. Tensors are copied out, so the
 * bytes may be dropped afterwards.
 */
export function parseSafetensors(bytes: ArrayBuffer | ArrayBufferView, options: ParseSafetensorsOptions = {}): StateDict {
  assertLittleEndian();
  const view = asUint8Array(bytes);
  const source = options.source ?? 'safetensors bytes';
  const read = byteReader(source, view);
  const header = parseSafetensorsHeader(source, view.byteLength, read);
  return readSafetensorsTensors(source, header, options, read);
}

/** A StateDict (in map order, optional string metadata) as the bytes of a safetensors file. */
export function safetensorsBytes(tensors: StateDict, metadata?: Record<string, string>): Uint8Array {
  assertLittleEndian();
  const { prefix, header } = encodeSafetensorsHeader('safetensors bytes', tensors, metadata);
  let size = prefix.byteLength + header.byteLength;
  for (const t of tensors.values()) size += t.data.byteLength;
  const out = new Uint8Array(size);
  out.set(prefix, 0);
  out.set(header, prefix.byteLength);
  let at = prefix.byteLength + header.byteLength;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}
