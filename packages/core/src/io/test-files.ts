// Builders of hand-made checkpoint bytes (zip archives, pickles, safetensors) for the reader tests and the fuzz
// harness's malicious cases. Not part of the package's API: nothing in src/index.ts reaches this file.

/**
 * A zip archive of stored (uncompressed) entries, as torch.save writes them; CRCs are left 0 (unchecked).
 * With `zip64`, sizes and offsets are saturated and given in ZIP64 extra fields and end records instead, as
 * writers do for archives above 4 GiB.
 */
export function zipArchive(entries: [string, Uint8Array][], zip64 = false): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const n = Buffer.from(name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(n.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt32LE(zip64 ? 0xffffffff : data.length, 20);
    central.writeUInt32LE(zip64 ? 0xffffffff : data.length, 24);
    central.writeUInt16LE(n.length, 28);
    central.writeUInt32LE(zip64 ? 0xffffffff : offset, 42);
    const extra = Buffer.alloc(zip64 ? 28 : 0);
    if (zip64) {
      central.writeUInt16LE(28, 30);
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(data.length), 4); // uncompressed size
      extra.writeBigUInt64LE(BigInt(data.length), 12); // compressed size
      extra.writeBigUInt64LE(BigInt(offset), 20); // local header offset
    }
    locals.push(local, n, Buffer.from(data));
    centrals.push(central, n, extra);
    offset += 30 + n.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(zip64 ? 0xffff : entries.length, 8);
  eocd.writeUInt16LE(zip64 ? 0xffff : entries.length, 10);
  eocd.writeUInt32LE(zip64 ? 0xffffffff : cd.length, 12);
  eocd.writeUInt32LE(zip64 ? 0xffffffff : offset, 16);
  if (!zip64) return Buffer.concat([...locals, cd, eocd]);
  const record = Buffer.alloc(56);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(44n, 4); // size of the rest of the record
  record.writeUInt16LE(45, 12); // version needed: 4.5 (ZIP64)
  record.writeBigUInt64LE(BigInt(entries.length), 24);
  record.writeBigUInt64LE(BigInt(entries.length), 32);
  record.writeBigUInt64LE(BigInt(cd.length), 40);
  record.writeBigUInt64LE(BigInt(offset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(offset + cd.length), 8);
  locator.writeUInt32LE(1, 16);
  return Buffer.concat([...locals, cd, record, locator, eocd]);
}

/** Offsets of the fields of the central directory entry `index` (0-based) of an archive built by {@link zipArchive}. */
export function centralEntryAt(archive: Uint8Array, index: number): number {
  let found = -1;
  for (let i = 0; i + 4 <= archive.length; i++) {
    if (archive[i] === 0x50 && archive[i + 1] === 0x4b && archive[i + 2] === 0x01 && archive[i + 3] === 0x02 && ++found === index) return i;
  }
  throw new Error(`no central directory entry ${index}`);
}

const u32le = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return [...b];
};

/** Pickle opcodes as byte lists, written by hand after the pickletools reference. */
export const P = {
  proto: (n: number) => [0x80, n],
  stop: [0x2e],
  mark: [0x28],
  pop: [0x30],
  dup: [0x32],
  none: [0x4e],
  true: [0x88],
  false: [0x89],
  binint: (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32LE(n);
    return [0x4a, ...b];
  },
  binint1: (n: number) => [0x4b, n],
  long1: (bytes: number[]) => [0x8a, bytes.length, ...bytes],
  long4: (bytes: Uint8Array) => [0x8b, ...u32le(bytes.length), ...bytes],
  binfloat: (x: number) => {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(x);
    return [0x47, ...b];
  },
  str: (s: string) => {
    const u = Buffer.from(s, 'utf8');
    return [0x58, ...u32le(u.length), ...u];
  },
  shortStr: (s: string) => {
    const u = Buffer.from(s, 'utf8');
    return [0x8c, u.length, ...u];
  },
  shortBytes: (b: number[]) => [0x43, b.length, ...b],
  global: (module: string, name: string) => [0x63, ...Buffer.from(`${module}\n${name}\n`, 'latin1')],
  stackGlobal: [0x93],
  emptyDict: [0x7d],
  emptyList: [0x5d],
  emptyTuple: [0x29],
  tuple: [0x74],
  tuple1: [0x85],
  tuple2: [0x86],
  list: [0x6c],
  append: [0x61],
  appends: [0x65],
  setitem: [0x73],
  setitems: [0x75],
  reduce: [0x52],
  build: [0x62],
  newobj: [0x81],
  binpersid: [0x51],
  binput: (i: number) => [0x71, i],
  binget: (i: number) => [0x68, i],
  longBinput: (i: number) => [0x72, ...u32le(i)],
  longBinget: (i: number) => [0x6a, ...u32le(i)],
  memoize: [0x94],
  emptySet: [0x8f],
  additems: [0x90],
  inst: (module: string, name: string) => [0x69, ...Buffer.from(`${module}\n${name}\n`, 'latin1')],
  frame: (n: number) => [0x95, n, 0, 0, 0, 0, 0, 0, 0],
};

/** A protocol-2 pickle from opcode byte lists. */
export const pickle = (...parts: number[][]): Uint8Array => Uint8Array.from(parts.flat());

/** `(MARK items… TUPLE)`. */
export const tupleOf = (...items: number[][]): number[] => [...P.mark, ...items.flat(), ...P.tuple];

/** One tensor of {@link tensorDictPickle}: name, storage offset, size, stride (numbers, or bigints above 2^31). */
export type PickledTensor = [string, number | bigint, (number | bigint)[], (number | bigint)[]];

/** A pickled int: BININT1/BININT for 32-bit values, LONG1 otherwise (e.g. 2^60). */
export function pickledInt(n: number | bigint): number[] {
  const v = BigInt(n);
  if (v >= 0n && v < 256n) return P.binint1(Number(v));
  if (v >= -(2n ** 31n) && v < 2n ** 31n) return P.binint(Number(v));
  const bytes: number[] = [];
  let x = v;
  for (let i = 0; i < 9; i++) {
    bytes.push(Number(x & 0xffn));
    x >>= 8n;
  }
  return P.long1(bytes);
}

/** The storage argument of a rebuilt tensor: persistent id `('storage', FloatStorage, '0', 'cpu', numel)`. */
export const storageOps = (numel: number | bigint): number[] => [
  ...tupleOf(P.shortStr('storage'), P.global('torch', 'FloatStorage'), P.shortStr('0'), P.shortStr('cpu'), pickledInt(numel)),
  ...P.binpersid,
];

/** Opcodes leaving one `_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())` on the stack. */
export function rebuildTensorOps(storage: number[], offset: number[], size: number[], stride: number[]): number[] {
  const rebuild = P.global('torch._utils', '_rebuild_tensor_v2');
  return [...rebuild, ...tupleOf(storage, offset, size, stride, P.false, P.global('collections', 'OrderedDict'), [...P.emptyTuple, ...P.reduce]), ...P.reduce];
}

/**
 * `{name: _rebuild_tensor_v2(storage '0' of `storageNumel` floats, offset, size, stride)}` for each tensor, the
 * way torch.save pickles a state dict.
 */
export function tensorDictPickle(tensors: PickledTensor[], storageNumel: number | bigint = 12): Uint8Array {
  const out: number[] = [...P.proto(2), ...P.emptyDict, ...P.mark];
  for (const [name, offset, size, stride] of tensors) {
    out.push(...P.shortStr(name));
    out.push(...rebuildTensorOps(storageOps(storageNumel), pickledInt(offset), tupleOf(...size.map(pickledInt)), tupleOf(...stride.map(pickledInt))));
  }
  out.push(...P.setitems, ...P.stop);
  return Uint8Array.from(out);
}

/** 12 float32 elements 0..11: the storage '0' of {@link tensorDictPickle}. */
export const storage12 = new Uint8Array(new Float32Array(Array.from({ length: 12 }, (_, i) => i)).buffer);

/** A zip `.pth` (prefix `a/`) of a pickle and storage '0'. */
export function pthOf(pkl: Uint8Array, storage: Uint8Array = storage12): Buffer {
  return zipArchive([
    ['a/data.pkl', pkl],
    ['a/data/0', storage],
  ]);
}

/** Bytes of a safetensors file: length prefix (or `lengthOverride`), header text, data. */
export function safetensorsBytes(header: string | object, data: Uint8Array = new Uint8Array(0), lengthOverride?: bigint): Buffer {
  const text = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(lengthOverride ?? BigInt(text.byteLength));
  return Buffer.concat([prefix, text, data]);
}
