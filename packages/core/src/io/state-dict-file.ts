import { readSync } from 'node:fs';
import { CheckpointError } from '../errors.js';
import { truncateText } from '../quote.js';
import { DTYPE_BYTES, type HostTensor, type StateDict } from '../tensor-data.js';
import { withCheckpointFile } from './open-file.js';
import { isZipMagic, keyLabel, readPth } from './pth.js';
import { readSafetensors, readSafetensorsHeader } from './safetensors.js';

/** The on-disk formats {@link loadStateDictFile} understands. */
export type CheckpointFormat = 'safetensors' | 'pth-zip' | 'pth-legacy';

/** A checkpoint's tensors and where in the file they came from. */
export interface CheckpointContents {
  /** The detected format. */
  format: CheckpointFormat;
  /** The state dict (tensors only, in file order). */
  tensors: StateDict;
  /** The top-level key the state dict was unwrapped from (`model`, `state_dict`), if any. */
  wrapper: string | undefined;
  /** The other top-level keys of a wrapped checkpoint (e.g. `optimizer`, `epoch`, `args`). */
  otherKeys: string[];
  /** safetensors `__metadata__` (empty for .pth). */
  metadata: Record<string, string>;
}

/** Whether a value is a HostTensor (as produced by the readers). */
export function isHostTensor(v: unknown): v is HostTensor {
  if (v === null || typeof v !== 'object') return false;
  const t = v as Partial<HostTensor>;
  return typeof t.dtype === 'string' && Object.hasOwn(DTYPE_BYTES, t.dtype) && Array.isArray(t.shape) && ArrayBuffer.isView(t.data);
}

/** Tells the format of a checkpoint file from its first bytes (never its extension). */
export function detectCheckpointFormat(file: string): CheckpointFormat {
  return withCheckpointFile(file, (fd, size) => {
    const head = new Uint8Array(9);
    const got = readSync(fd, head, 0, 9, 0);
    if (got >= 4 && isZipMagic(head)) return 'pth-zip';
    // A safetensors header length's low byte can be 0x80 too, so the JSON brace decides first.
    const headerLen = got === 9 ? new DataView(head.buffer).getBigUint64(0, true) : -1n;
    if (got === 9 && head[8] === 0x7b && headerLen <= BigInt(size - 8)) return 'safetensors';
    if (got >= 2 && head[0] === 0x80) return 'pth-legacy';
    if (got === 9 && head[8] === 0x7b) return 'safetensors'; // let the reader report the bad header length
    throw new CheckpointError(file, `unrecognised checkpoint format (${size} bytes; expected safetensors or a PyTorch .pth)`);
  });
}

/**
 * The tensors of an unpickled checkpoint: unwraps `{model: ...}` / `{state_dict: ...}` (as deit and timm
 * training checkpoints store them) and keeps only tensor values.
 */
export function stateDictOf(file: string, root: unknown): Omit<CheckpointContents, 'format' | 'metadata'> {
  if (!(root instanceof Map)) throw new CheckpointError(file, 'checkpoint is not a dict of tensors');
  let dict: Map<unknown, unknown> = root;
  let wrapper: string | undefined;
  for (const key of ['model', 'state_dict']) {
    const inner = root.get(key);
    if (inner instanceof Map) {
      dict = inner;
      wrapper = key;
      break;
    }
  }
  const tensors: StateDict = new Map();
  for (const [k, v] of dict) if (typeof k === 'string' && isHostTensor(v)) tensors.set(k, v);
  const topKeys = [...root.keys()].map(keyLabel);
  if (tensors.size === 0) {
    const shown = topKeys.slice(0, 20).map((k) => truncateText(k, 60));
    if (topKeys.length > 20) shown.push(`… (${topKeys.length} keys)`);
    throw new CheckpointError(file, `holds no tensors (top-level keys: ${shown.join(', ') || 'none'})`);
  }
  return { tensors, wrapper, otherKeys: wrapper === undefined ? [] : topKeys.filter((k) => k !== wrapper) };
}

/** Reads any checkpoint (safetensors, .pth zip or legacy) into its state dict plus where it came from. */
export function readCheckpoint(file: string): CheckpointContents {
  const format = detectCheckpointFormat(file);
  if (format === 'safetensors') {
    const tensors = readSafetensors(file);
    return { format, tensors, wrapper: undefined, otherKeys: [], metadata: readSafetensorsHeader(file).metadata };
  }
  return { format, ...stateDictOf(file, readPth(file)), metadata: {} };
}

/** The state dict of a .safetensors or .pth file (format told by magic bytes; `{model}`/`{state_dict}` unwrapped). */
export function loadStateDictFile(file: string): StateDict {
  return readCheckpoint(file).tensors;
}
