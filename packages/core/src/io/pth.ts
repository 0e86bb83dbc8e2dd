import { readSync } from 'node:fs';
import { CheckpointError } from '../errors.js';
import { quote } from '../quote.js';
import { ARRAY_OF_DTYPE, DTYPE_BYTES, type FileDType, type HostArray, type HostTensor, numel } from '../tensor-data.js';
import { withCheckpointFile } from './open-file.js';
import { BytesSource, FileSource, PickleGlobal, PickledObject, pythonGlobal, unpickle } from './pickle.js';
import { readZipDirectory, type ZipEntry, zipEntryDataOffset } from './zip.js';

/** torch storage classes and the element type each holds. */
const STORAGE_DTYPES: Readonly<Record<string, FileDType>> = {
  DoubleStorage: 'F64',
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};


/**
 * Tensors rebuilt from storages (views copied out, expanded stride-0 tensors materialised) may take at most
 * this many times the file's size in all, plus {@link EXPANSION_FLOOR_BYTES}: a tensor of a few bytes expanded
 * to [2^30, 4] must not ask for 16 GB. Whole-storage tensors share their storage and cost nothing.
 */
const MAX_EXPANSION = 4;
/** The part of the expansion limit that does not scale with the file (16 MiB). */
const EXPANSION_FLOOR_BYTES = 16 * 1024 * 1024;

// The legacy format opens with this number pickled (torch/serialization.py MAGIC_NUMBER).
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

/** A storage named by a persistent id; its elements are read once the pickle has been run. */
class StorageRef {
  data: HostArray | undefined;
  constructor(
    readonly key: string,
    readonly dtype: FileDType,
    readonly numel: number,
  ) {}
}

/** A tensor built by `_rebuild_tensor_v2` whose elements are filled in from its storage afterwards. */
interface PendingTensor {
  tensor: HostTensor;
  storage: StorageRef;
  offset: number;
  stride: number[];
}

/** A size or stride list for a message, bounded however long it is. */
const dims = (list: readonly number[]) => quote(list, { maxItems: 12, maxLength: 120 });

const isIndexArray = (v: unknown): v is number[] => Array.isArray(v) && v.every((d) => Number.isSafeInteger(d) && d >= 0);

/** The allow-list of a torch checkpoint: plain-Python data globals plus tensor rebuilding and storage types. */
function torchGlobals(file: string, pending: PendingTensor[]) {
  const rebuildTensor = (q: string) =>
    new PickleGlobal(q, (args) => {
      const [storage, offset, size, stride] = args;
      if (!(storage instanceof StorageRef)) throw new CheckpointError(file, `${q} without a storage`, q);
      if (!Number.isSafeInteger(offset) || (offset as number) < 0 || !isIndexArray(size) || !isIndexArray(stride) || size.length !== stride.length) {
        throw new CheckpointError(file, `${q} with malformed offset/size/stride ${quote([offset, size, stride], { maxLength: 160 })}`, q);
      }
      const tensor: HostTensor = { dtype: storage.dtype, shape: [...size], data: new ARRAY_OF_DTYPE[storage.dtype](0) };
      pending.push({ tensor, storage, offset: offset as number, stride: [...stride] });
      return tensor;
    });
  // A Parameter is its data; requires_grad and hooks are training-time state.
  const parameter = (q: string) => new PickleGlobal(q, (args) => args[0]);
  return (module: string, name: string): PickleGlobal | undefined => {
    const q = `${module}.${name}`;
    if (module === 'torch' && Object.hasOwn(STORAGE_DTYPES, name)) return new PickleGlobal(q, undefined, STORAGE_DTYPES[name]);
    switch (q) {
      case 'torch._utils._rebuild_tensor':
      case 'torch._utils._rebuild_tensor_v2':
        return rebuildTensor(q);
      case 'torch._utils._rebuild_parameter':
      case 'torch._utils._rebuild_parameter_with_state':
        return parameter(q);
      case 'torch.Size':
        return new PickleGlobal(q, (args) => (Array.isArray(args[0]) ? [...args[0]] : []));
      default:
        return pythonGlobal(module, name);
    }
  };
}

/** `persistent_load` for torch storages: `('storage', StorageType, key, location, numel[, view])`. */
function storageLoader(file: string, storages: Map<string, StorageRef>) {
  return (pid: unknown): StorageRef => {
    if (!Array.isArray(pid) || pid[0] !== 'storage') {
      throw new CheckpointError(file, `unsupported persistent id ${quote(Array.isArray(pid) ? pid[0] : pid)} (only tensor storages can be read)`);
    }
    const [, type, key, , count, view] = pid as unknown[];
    if (typeof key !== 'string' || !Number.isSafeInteger(count) || (count as number) < 0) {
      throw new CheckpointError(file, `malformed storage id ${quote([key, count])}`);
    }
    if (!(type instanceof PickleGlobal) || typeof type.tag !== 'string') throw new CheckpointError(file, 'storage of an unknown type', `storage ${key}`);
    if (view !== undefined && view !== null) throw new CheckpointError(file, 'storage views (torch < 0.4 files) are not supported', key);
    let ref = storages.get(key);
    if (ref === undefined) {
      ref = new StorageRef(key, type.tag as FileDType, count as number);
      storages.set(key, ref);
    }
    return ref;
  };
}

/** Reads `count` elements of `dtype` at `position` into a fresh array. */
function readElements(file: string, fd: number, position: number, dtype: FileDType, count: number, what: string): HostArray {
  const data = new ARRAY_OF_DTYPE[dtype](count);
  const bytes = new Uint8Array(data.buffer);
  let done = 0;
  while (done < bytes.byteLength) {
    const n = readSync(fd, bytes, done, Math.min(1 << 30, bytes.byteLength - done), position + done);
    if (n === 0) throw new CheckpointError(file, `file is truncated: ${what} runs past the end`);
    done += n;
  }
  return data;
}

/** A dict key as a path segment: strings and numbers as they are, anything else (a tuple, say) bounded. */
export function keyLabel(k: unknown): string {
  return typeof k === 'string' || typeof k === 'number' ? String(k) : quote(k, { maxLength: 60 });
}

/**
 * Paths (`model.blocks.0.attn.qkv.weight`) of the tensors inside an unpickled object, for error messages. The
 * walk keeps its own stack: a pickle can nest lists 100k deep, which recursion would not survive.
 */
function tensorPaths(root: unknown): Map<HostTensor, string> {
  const out = new Map<HostTensor, string>();
  const seen = new Set<unknown>();
  const todo: [unknown, string][] = [[root, '']];
  const child = (path: string, segment: string) => (path === '' ? segment : `${path}.${segment}`);
  for (let next = todo.pop(); next !== undefined; next = todo.pop()) {
    const [v, path] = next;
    if (v === null || typeof v !== 'object' || seen.has(v)) continue;
    seen.add(v);
    const found: [unknown, string][] = [];
    if (v instanceof Map) for (const [k, x] of v) found.push([x, child(path, keyLabel(k))]);
    else if (Array.isArray(v)) for (let i = 0; i < v.length; i++) found.push([v[i], `${path}[${i}]`]);
    else if (v instanceof Set) for (const x of v) found.push([x, path]);
    else if (v instanceof PickledObject) found.push([v.state, path]);
    else if ('shape' in v && 'data' in v && 'dtype' in v) out.set(v as HostTensor, path);
    // Reversed onto the stack, so the first path in file order names a tensor reached twice.
    for (let i = found.length - 1; i >= 0; i--) todo.push(found[i]!);
  }
  return out;
}

/**
 * Fills each pending tensor from its storage, honouring storage_offset and strides; what it allocates is
 * bounded by the expansion limit ({@link MAX_EXPANSION} × the file size + {@link EXPANSION_FLOOR_BYTES}).
 */
function materialize(file: string, fileSize: number, root: unknown, pending: PendingTensor[]): void {
  const paths = pending.length > 0 ? tensorPaths(root) : new Map<HostTensor, string>();
  const limit = MAX_EXPANSION * fileSize + EXPANSION_FLOOR_BYTES;
  let allocated = 0;
  for (const { tensor, storage, offset, stride } of pending) {
    const name = paths.get(tensor) ?? `storage ${storage.key}`;
    const src = storage.data!;
    const shape = tensor.shape;
    const n = numel(shape);
    if (n === 0) continue;
    let last = offset;
    for (let d = 0; d < shape.length; d++) last += (shape[d]! - 1) * stride[d]!;
    if (last >= storage.numel) {
      throw new CheckpointError(
        file,
        `size ${dims(shape)} with stride ${dims(stride)} at offset ${offset} reaches element ${last} of a ${storage.numel}-element storage`,
        name,
      );
    }
    let contiguous = true;
    for (let d = shape.length - 1, expect = 1; d >= 0; d--) {
      if (shape[d]! !== 1 && stride[d]! !== expect) contiguous = false;
      expect *= shape[d]!;
    }
    const sharesStorage = contiguous && offset === 0 && n === storage.numel;
    if (!sharesStorage) {
      const bytes = n * DTYPE_BYTES[tensor.dtype];
      if (allocated + bytes > limit) {
        throw new CheckpointError(
          file,
          `size ${dims(shape)} with stride ${dims(stride)} would materialise ${bytes} bytes from a ${storage.numel}-element storage; ` +
            `tensors of a ${fileSize}-byte checkpoint may take at most ${limit} bytes in all (${MAX_EXPANSION} × its size + ${EXPANSION_FLOOR_BYTES})`,
          name,
        );
      }
      allocated += bytes;
    }
    if (contiguous) {
      // A tensor covering its whole storage keeps it; a view copies its part so the rest can be freed.
      tensor.data = sharesStorage ? src : (src.slice(offset, offset + n) as HostArray);
      continue;
    }
    const out = new ARRAY_OF_DTYPE[tensor.dtype](n) as HostArray & { [i: number]: number | bigint };
    const index = new Array<number>(shape.length).fill(0);
    let pos = offset;
    for (let i = 0; i < n; i++) {
      out[i] = (src as HostArray & { [i: number]: number | bigint })[pos]!;
      for (let d = shape.length - 1; d >= 0; d--) {
        if (++index[d]! < shape[d]!) {
          pos += stride[d]!;
          break;
        }
        pos -= (shape[d]! - 1) * stride[d]!;
        index[d] = 0;
      }
    }
    tensor.data = out;
  }
}

function readZipPth(file: string, fd: number, fileSize: number): unknown {
  const entries = readZipDirectory(file, fd, fileSize);
  const pkl = entries.find((e) => e.name === 'data.pkl' || e.name.endsWith('/data.pkl'));
  if (pkl === undefined) throw new CheckpointError(file, 'zip has no data.pkl entry: not a torch.save checkpoint');
  const prefix = pkl.name.slice(0, pkl.name.length - 'data.pkl'.length);
  const byName = new Map<string, ZipEntry>(entries.map((e) => [e.name, e]));
  const byteorder = byName.get(`${prefix}byteorder`);
  const content = (e: ZipEntry): Uint8Array => {
    if (e.method !== 0) throw new CheckpointError(file, `zip entry ${quote(e.name)} is compressed (method ${e.method}); torch.save stores entries uncompressed`);
    // The offset check comes first: it proves the file backs the entry's size before anything is allocated.
    const start = zipEntryDataOffset(file, fd, fileSize, e);
    return readElements(file, fd, start, 'U8', e.size, `entry ${quote(e.name)}`) as Uint8Array;
  };
  if (byteorder !== undefined && new TextDecoder().decode(content(byteorder)).trim() !== 'little') {
    throw new CheckpointError(file, 'big-endian checkpoints are not supported');
  }
  const pending: PendingTensor[] = [];
  const storages = new Map<string, StorageRef>();
  const root = unpickle(new BytesSource(file, content(pkl)), {
    file,
    findGlobal: torchGlobals(file, pending),
    persistentLoad: storageLoader(file, storages),
  });
  for (const ref of storages.values()) {
    const entry = byName.get(`${prefix}data/${ref.key}`);
    if (entry === undefined) throw new CheckpointError(file, `zip has no entry ${prefix}data/${ref.key}`, `storage ${ref.key}`);
    if (entry.method !== 0) throw new CheckpointError(file, `zip entry ${quote(entry.name)} is compressed (method ${entry.method})`, `storage ${ref.key}`);
    // Only the storage's own bytes are read: never past the entry into the next one.
    const bytes = ref.numel * DTYPE_BYTES[ref.dtype];
    if (entry.size < bytes) {
      throw new CheckpointError(file, `entry ${entry.name} holds ${entry.size} bytes, its ${ref.numel} ${ref.dtype} elements need ${bytes}`, `storage ${ref.key}`);
    }
    ref.data = readElements(file, fd, zipEntryDataOffset(file, fd, fileSize, entry), ref.dtype, ref.numel, `entry ${entry.name}`);
  }
  materialize(file, fileSize, root, pending);
  return root;
}

function readLegacyPth(file: string, fd: number, fileSize: number): unknown {
  const source = new FileSource(file, fd, 0, fileSize);
  const plain = { file, findGlobal: pythonGlobal };
  const magic = unpickle(source, plain);
  if (magic !== LEGACY_MAGIC) throw new CheckpointError(file, 'not a torch checkpoint: legacy magic number missing');
  const protocol = unpickle(source, plain);
  if (protocol !== LEGACY_PROTOCOL) throw new CheckpointError(file, `unsupported legacy protocol version ${quote(protocol)}`);
  const sysInfo = unpickle(source, plain);
  if (sysInfo instanceof Map && sysInfo.get('little_endian') === false) throw new CheckpointError(file, 'big-endian checkpoints are not supported');
  const pending: PendingTensor[] = [];
  const storages = new Map<string, StorageRef>();
  const root = unpickle(source, { file, findGlobal: torchGlobals(file, pending), persistentLoad: storageLoader(file, storages) });
  const keys = unpickle(source, plain);
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw new CheckpointError(file, 'legacy storage key list is malformed');
  let pos = source.position;
  for (const key of keys as string[]) {
    const ref = storages.get(key);
    if (ref === undefined) throw new CheckpointError(file, 'legacy storage is not referenced by the pickle, so its element size is unknown', `storage ${key}`);
    const head = readElements(file, fd, pos, 'I64', 1, `storage ${key} header`) as BigInt64Array;
    const count = Number(head[0]!);
    if (count !== ref.numel) throw new CheckpointError(file, `storage holds ${head[0]} elements, the pickle says ${ref.numel}`, `storage ${key}`);
    if (pos + 8 + count * DTYPE_BYTES[ref.dtype] > fileSize) {
      throw new CheckpointError(file, `file is truncated: ${count} ${ref.dtype} elements at byte ${pos + 8} run past the end (${fileSize} bytes)`, `storage ${key}`);
    }
    ref.data = readElements(file, fd, pos + 8, ref.dtype, count, `storage ${key}`);
    pos += 8 + count * DTYPE_BYTES[ref.dtype];
  }
  for (const ref of storages.values()) {
    if (ref.data === undefined) throw new CheckpointError(file, 'storage is missing from the legacy storage list', `storage ${ref.key}`);
  }
  materialize(file, fileSize, root, pending);
  return root;
}

/** Whether the first bytes of a file are a zip local header (torch ≥ 1.6 `.pth`). */
export function isZipMagic(head: Uint8Array): boolean {
  return head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}

/**
 * Reads a PyTorch `.pth` checkpoint (zip format or legacy, told apart by magic bytes) through a restricted
 * unpickler. Dicts become Maps, tuples arrays, tensors HostTensor; anything that would run code is refused.
 */
export function readPth(file: string): unknown {
  return withCheckpointFile(file, (fd, fileSize) => {
    const head = new Uint8Array(4);
    readSync(fd, head, 0, 4, 0);
    if (isZipMagic(head)) return readZipPth(file, fd, fileSize);
    if (head[0] === 0x80) return readLegacyPth(file, fd, fileSize);
    throw new CheckpointError(file, 'not a PyTorch checkpoint: neither a zip archive nor a legacy pickle');
  });
}
