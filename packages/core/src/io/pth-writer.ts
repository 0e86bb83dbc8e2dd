import { basename } from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { DeitError } from '../errors.js';
import { DTYPE_BYTES, type FileDType, type HostTensor, numel } from '../tensor-data.js';
import { pickleDumps } from './pickle-writer.js';
import { PyGlobal, PyOrderedDict, PyPersistentId, PyReduce, PyTuple } from './python-values.js';
import { type ZipWriterEntry, zipChunks } from './zip-writer.js';

/** The torch storage class of each element type (the reader's table, reversed). */
const STORAGE_OF_DTYPE: Readonly<Record<FileDType, string>> = {
  F64: 'DoubleStorage',
  F32: 'FloatStorage',
  F16: 'HalfStorage',
  BF16: 'BFloat16Storage',
  I64: 'LongStorage',
  I32: 'IntStorage',
  I16: 'ShortStorage',
  I8: 'CharStorage',
  U8: 'ByteStorage',
  BOOL: 'BoolStorage',
};

/** Tensor content is handed to the file in slices of this many bytes (views, no copies). */
const CHUNK_BYTES = 64 * 1024 * 1024;

/** Options of {@link writePth} / {@link pthChunks}. */
export interface WritePthOptions {
  /** The archive's top folder; torch uses the file name without its last extension (the default of writePth). */
  archiveName?: string;
  /** Write the `byteorder` record torch ≥ 2.1 writes (default true); torch 1.13 wrote none and ignores it. */
  byteorder?: boolean;
}

function isHostTensor(v: object): v is HostTensor {
  return 'dtype' in v && 'shape' in v && 'data' in v && ArrayBuffer.isView((v as HostTensor).data);
}

/** Row-major strides of a contiguous tensor of `shape`. */
function contiguousStrides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let d = shape.length - 1, s = 1; d >= 0; d--) {
    out[d] = s;
    s *= shape[d]!;
  }
  return out;
}

/**
 * A state dict as torch writes one: a `collections.OrderedDict` of tensors, with `_metadata` (module prefix →
 * `{'version': n}`, in module order) when given. `load_state_dict` works without it; BatchNorm uses it to tell
 * checkpoints older than `num_batches_tracked`.
 */
export function torchStateDict(tensors: ReadonlyMap<string, HostTensor>, metadata?: ReadonlyMap<string, number>): PyOrderedDict {
  if (metadata === undefined) return new PyOrderedDict(tensors);
  const meta = new PyOrderedDict(new Map([...metadata].map(([prefix, version]) => [prefix, new Map([['version', version]])])));
  return new PyOrderedDict(tensors, new Map([['_metadata', meta]]));
}

/**
 * The bytes of a `torch.save` file (zip format, torch ≥ 1.6) holding `obj`, yielded chunk by chunk: `data.pkl`
 * (pickle protocol 2; HostTensors become `torch._utils._rebuild_tensor_v2` of a contiguous storage, persistent id
 * `('storage', torch.<Type>Storage, key, 'cpu', numel)`), `byteorder`, `data/<key>` per storage in torch's
 * (string-sorted) order, and `version`. Values are those of {@link pickleDumps}; use {@link torchStateDict} for
 * state dicts and `PyFloat` for integral floats.
 */
export function* pthChunks(obj: unknown, options: WritePthOptions = {}): Generator<Uint8Array> {
  const archive = options.archiveName ?? 'archive';
  const storages = new Map<string, HostTensor>();
  const replace = (v: object): unknown => {
    if (!isHostTensor(v)) return undefined;
    const n = numel(v.shape);
    if (!Object.hasOwn(STORAGE_OF_DTYPE, v.dtype)) throw new DeitError('E_PICKLE', `cannot save a tensor of dtype ${String(v.dtype)}`);
    if (v.data.length !== n) throw new DeitError('E_PICKLE', `a tensor of shape [${v.shape.join(', ')}] holds ${v.data.length} elements, not ${n}`);
    const key = String(storages.size);
    storages.set(key, v);
    const storage = new PyTuple(['storage', new PyGlobal('torch', STORAGE_OF_DTYPE[v.dtype]), key, 'cpu', n]);
    // Tensor._reduce_ex_internal: (storage, offset, size, stride, requires_grad, backward_hooks = OrderedDict()).
    const args = new PyTuple([
      new PyPersistentId(storage),
      0,
      new PyTuple(v.shape),
      new PyTuple(contiguousStrides(v.shape)),
      false,
      new PyOrderedDict(new Map()),
    ]);
    return new PyReduce(new PyGlobal('torch._utils', '_rebuild_tensor_v2'), args);
  };
  const pkl = pickleDumps(obj, { replace });
  const entries: ZipWriterEntry[] = [{ name: `${archive}/data.pkl`, size: pkl.length, chunks: [pkl] }];
  if (options.byteorder ?? true) {
    const order = new TextEncoder().encode('little');
    entries.push({ name: `${archive}/byteorder`, size: order.length, chunks: [order] });
  }
  for (const key of [...storages.keys()].sort()) {
    const t = storages.get(key)!;
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, numel(t.shape) * DTYPE_BYTES[t.dtype]);
    entries.push({ name: `${archive}/data/${key}`, size: bytes.length, chunks: slices(bytes) });
  }
  const version = new TextEncoder().encode('3\n');
  entries.push({ name: `${archive}/version`, size: version.length, chunks: [version] });
  yield* zipChunks(entries);
}

function* slices(bytes: Uint8Array): Generator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += CHUNK_BYTES) yield bytes.subarray(at, Math.min(bytes.length, at + CHUNK_BYTES));
}

/** The archive folder torch names after the file: its base name without the last extension. */
export function pthArchiveName(file: string): string {
  const base = basename(file);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/**
 * Writes `obj` as a PyTorch checkpoint that `torch.load` (1.6 and later) and {@link readPth} read, atomically
 * (temp file + rename) and streaming tensor data rather than assembling the file in memory.
 */
export function writePth(file: string, obj: unknown, options: WritePthOptions = {}): void {
  writeFileAtomic(file, pthChunks(obj, { archiveName: pthArchiveName(file), ...options }));
}
