// Hand-made malicious checkpoints, one per class of attack the readers must survive (issue 16): each is read by
// the reader tests and by the fuzz harness. Not part of the package's API.
import { centralEntryAt, P, pickle, pickledInt, pthOf, rebuildTensorOps, safetensorsBytes, storage12, storageOps, tensorDictPickle, tupleOf, zipArchive } from './test-files.js';

/** A hostile file: its name, the bytes, and whether a reader may accept it (`ok`) or must refuse it (`error`). */
export interface HostileFile {
  /** Short kebab-case name, used as the file name. */
  name: string;
  /** Builds the bytes (lazily: some are megabytes). */
  bytes: () => Uint8Array;
  /** `error`: a CheckpointError is the only right outcome; `ok`: reading may also succeed. */
  expect: 'error' | 'ok';
}

const ESC_NAME = '\u001b[2J\u001b]0;pwned\u0007w';
const deepArrayText = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

function stHeader(entries: string): Uint8Array {
  return safetensorsBytes(`{${entries}}`, new Uint8Array(4));
}

/** A legacy (torch < 1.6) `.pth`: magic, protocol, sys_info, the object pickle, the storage keys, the storages. */
export function legacyPth(root: Uint8Array, storages: [string, bigint, Uint8Array][]): Buffer {
  const magic = pickle(P.proto(2), P.long1([0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]), P.stop);
  const protocol = pickle(P.proto(2), [0x4d, 0xe9, 0x03], P.stop);
  const sysInfo = pickle(P.proto(2), P.emptyDict, P.shortStr('little_endian'), P.true, P.setitem, P.stop);
  const keys = pickle(P.proto(2), P.emptyList, P.mark, ...storages.map(([k]) => P.shortStr(k)), P.appends, P.stop);
  const parts: Uint8Array[] = [magic, protocol, sysInfo, root, keys];
  for (const [, count, data] of storages) {
    const head = Buffer.alloc(8);
    head.writeBigInt64LE(count);
    parts.push(head, data);
  }
  return Buffer.concat(parts);
}

/** The zip `.pth` of {@link tensorDictPickle} with one central-directory field of entry `index` overwritten. */
function zipWithField(index: number, field: number, value: number, pkl = tensorDictPickle([['w', 0, [12], [1]]])): Uint8Array {
  const bytes = pthOf(pkl);
  bytes.writeUInt32LE(value, centralEntryAt(bytes, index) + field);
  return bytes;
}

/** `n` lists nested in each other, the innermost holding `inner`, as opcodes. */
function nestedLists(n: number, inner: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(...P.emptyList);
  out.push(...inner, ...P.append);
  for (let i = 1; i < n; i++) out.push(...P.append);
  return out;
}

/** A rebuilt tensor of the whole 12-float storage '0'. */
const wholeTensor = () => rebuildTensorOps(storageOps(12), pickledInt(0), tupleOf(pickledInt(12)), tupleOf(pickledInt(1)));

/** Every hand-made hostile file (the classes of issue 16). */
export const HOSTILE_FILES: readonly HostileFile[] = [
  // safetensors: values that broke the error messages, and layouts the reference implementation refuses
  { name: 'st-dtype-10mb-string.safetensors', expect: 'error', bytes: () => stHeader(`"w":{"dtype":"${'A'.repeat(10_000_000)}","shape":[1],"data_offsets":[0,4]}`) },
  { name: 'st-dtype-deep-array.safetensors', expect: 'error', bytes: () => stHeader(`"w":{"dtype":${deepArrayText(100_000)},"shape":[1],"data_offsets":[0,4]}`) },
  { name: 'st-shape-deep-array.safetensors', expect: 'error', bytes: () => stHeader(`"w":{"dtype":"F32","shape":${deepArrayText(100_000)},"data_offsets":[0,4]}`) },
  { name: 'st-offsets-deep-array.safetensors', expect: 'error', bytes: () => stHeader(`"w":{"dtype":"F32","shape":[1],"data_offsets":${deepArrayText(10_000)}}`) },
  { name: 'st-offsets-above-2p53.safetensors', expect: 'error', bytes: () => stHeader(`"w":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551616]}`) },
  { name: 'st-shape-overflow.safetensors', expect: 'error', bytes: () => stHeader(`"w":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,4]}`) },
  { name: 'st-escape-name.safetensors', expect: 'error', bytes: () => stHeader(`${JSON.stringify(ESC_NAME)}:{"dtype":"\\u001b[31mX","shape":[1],"data_offsets":[0,4]}`) },
  { name: 'st-metadata-deep.safetensors', expect: 'error', bytes: () => stHeader(`"__metadata__":{"k":${deepArrayText(100_000)}},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}`) },
  { name: 'st-header-length-2p64.safetensors', expect: 'error', bytes: () => safetensorsBytes('{}', new Uint8Array(0), 0xffffffffffffffffn) },
  {
    name: 'st-gap.safetensors',
    expect: 'error',
    bytes: () => safetensorsBytes({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, new Uint8Array(12)),
  },
  { name: 'st-trailing-bytes.safetensors', expect: 'error', bytes: () => safetensorsBytes({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(8)) },
  { name: 'st-proto-key.safetensors', expect: 'ok', bytes: () => stHeader(`"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}`) },
  { name: 'st-100k-dims.safetensors', expect: 'ok', bytes: () => stHeader(`"w":{"dtype":"F32","shape":[${Array(100_000).fill(1).join(',')}],"data_offsets":[0,4]}`) },

  // zip: sizes the file cannot back, entries reading into each other, short ZIP64 fields
  { name: 'zip-size-fffffffe.pth', expect: 'error', bytes: () => zipWithField(0, 24, 0xfffffffe) },
  {
    name: 'zip-both-sizes-fffffffe.pth',
    expect: 'error',
    bytes: () => {
      const b = Buffer.from(zipWithField(0, 24, 0xfffffffe));
      b.writeUInt32LE(0xfffffffe, centralEntryAt(b, 0) + 20);
      return b;
    },
  },
  {
    name: 'zip-storage-into-next-entry.pth',
    expect: 'error',
    bytes: () => {
      // Storage '0' declared as 12 floats but its entry holds 4; both sizes inflated to run into `a/version`.
      const pkl = tensorDictPickle([['w', 0, [12], [1]]]);
      const b = zipArchive([
        ['a/data.pkl', pkl],
        ['a/data/0', storage12.subarray(0, 16)],
        ['a/version', new Uint8Array(64)],
      ]);
      const at = centralEntryAt(b, 1);
      b.writeUInt32LE(48, at + 20);
      b.writeUInt32LE(48, at + 24);
      return b;
    },
  },
  {
    name: 'zip64-extra-field-short.pth',
    expect: 'error',
    bytes: () => {
      const b = zipArchive([['a/data.pkl', tensorDictPickle([['w', 0, [12], [1]]])], ['a/data/0', storage12]], true);
      b.writeUInt16LE(4, centralEntryAt(b, 0) + 46 + 'a/data.pkl'.length + 2); // declares 4 of its 24 bytes
      return b;
    },
  },
  {
    name: 'zip64-extra-field-past-entry.pth',
    expect: 'error',
    bytes: () => {
      const b = zipArchive([['a/data.pkl', tensorDictPickle([['w', 0, [12], [1]]])], ['a/data/0', storage12]], true);
      b.writeUInt16LE(0xffff, centralEntryAt(b, 1) + 46 + 'a/data/0'.length + 2);
      return b;
    },
  },
  { name: 'zip-shared-local-header.pth', expect: 'error', bytes: () => zipWithField(1, 42, 0) },
  {
    name: 'zip-cd-offset-ffffffff.pth',
    expect: 'error',
    bytes: () => {
      const b = pthOf(tensorDictPickle([['w', 0, [12], [1]]]));
      b.writeUInt32LE(0xffffffff, b.length - 22 + 16);
      return b;
    },
  },

  // pickle: numbers above 2^53, cycles, bignums, expansion, deep nesting, malformed calls, the MARK boundary
  { name: 'pkl-offset-2p60.pth', expect: 'error', bytes: () => pthOf(tensorDictPickle([['w', 2n ** 60n, [1], [1]]])) },
  { name: 'pkl-size-2p60.pth', expect: 'error', bytes: () => pthOf(tensorDictPickle([['w', 0, [2n ** 60n], [1]]])) },
  { name: 'pkl-storage-count-2p60.pth', expect: 'error', bytes: () => pthOf(tensorDictPickle([['w', 0, [1], [1]]], 2n ** 60n)) },
  {
    name: 'pkl-cyclic-persistent-id.pth',
    expect: 'error',
    bytes: () => {
      const cyclic = [...P.emptyList, ...P.binput(9), ...P.binget(9), ...P.append];
      const pid = tupleOf(P.shortStr('storage'), P.global('torch', 'FloatStorage'), cyclic, P.shortStr('cpu'), P.binget(9));
      return pthOf(pickle(P.proto(2), P.emptyDict, P.shortStr('w'), pid, P.binpersid, P.setitem, P.stop));
    },
  },
  {
    name: 'pkl-cyclic-size.pth',
    expect: 'error',
    bytes: () => {
      const cyclic = [...P.emptyList, ...P.binput(7), ...P.binget(7), ...P.append];
      return pthOf(pickle(P.proto(2), P.emptyDict, P.shortStr('w'), rebuildTensorOps(storageOps(12), pickledInt(0), cyclic, tupleOf(pickledInt(1))), P.setitem, P.stop));
    },
  },
  { name: 'pkl-long4-1mb.pth', expect: 'error', bytes: () => pthOf(pickle(P.proto(2), P.emptyDict, P.shortStr('n'), P.long4(new Uint8Array(1 << 20).fill(0x5a)), P.setitem, P.stop)) },
  { name: 'pkl-int-4m-digits.pth', expect: 'error', bytes: () => pthOf(Uint8Array.from([0x49, ...Buffer.from(`${'7'.repeat(4_000_000)}\n`), 0x2e])) },
  { name: 'pkl-long4-offset.pth', expect: 'error', bytes: () => pthOf(pickle(P.proto(2), P.emptyDict, P.shortStr('n'), P.long4(new Uint8Array(128 << 10).fill(0xa5)), P.setitem, P.stop)) },
  {
    name: 'pkl-billion-laughs-encode.pth',
    expect: 'error',
    bytes: () => {
      const ops: number[] = [...P.proto(2), ...P.shortStr('lol'), ...P.binput(0)];
      for (let i = 1; i < 40; i++) ops.push(...P.mark, ...Array.from({ length: 10 }, () => P.binget(i - 1)).flat(), ...P.list, ...P.binput(i));
      ops.push(...P.global('_codecs', 'encode'), ...P.binget(39), ...P.shortStr('latin1'), ...P.tuple2, ...P.reduce, ...P.stop);
      return pthOf(Uint8Array.from(ops));
    },
  },
  {
    name: 'pkl-billion-laughs-list-copies.pth',
    expect: 'error',
    bytes: () => {
      const ops: number[] = [...P.proto(2), ...P.global('builtins', 'list'), ...P.binput(1), ...P.emptyList, ...P.mark];
      for (let i = 0; i < 100_000; i++) ops.push(...P.none);
      ops.push(...P.appends, ...P.binput(0), ...P.emptyList, ...P.mark);
      for (let i = 0; i < 50_000; i++) ops.push(...P.binget(1), ...P.binget(0), ...P.tuple1, ...P.reduce);
      ops.push(...P.appends, ...P.stop);
      return pthOf(Uint8Array.from(ops));
    },
  },
  {
    name: 'pkl-appends-300k.pth',
    expect: 'error',
    bytes: () => {
      const ops: number[] = [...P.proto(2), ...P.emptyDict, ...P.shortStr('x'), ...P.emptyList, ...P.mark];
      for (let i = 0; i < 300_000; i++) ops.push(...P.none);
      ops.push(...P.appends, ...P.setitem, ...P.stop);
      return pthOf(Uint8Array.from(ops));
    },
  },
  {
    name: 'pkl-deep-list-100k.pth',
    expect: 'error',
    bytes: () => pthOf(pickle(P.proto(2), P.emptyDict, P.shortStr('deep'), nestedLists(100_000, wholeTensor()), P.setitem, P.stop)),
  },
  {
    name: 'pkl-deep-key-100k.pth',
    expect: 'error',
    bytes: () => pthOf(pickle(P.proto(2), P.emptyDict, nestedLists(100_000, P.none), wholeTensor(), P.setitem, P.stop)),
  },
  {
    name: 'pkl-ordereddict-non-pairs.pth',
    expect: 'error',
    bytes: () => pthOf(pickle(P.proto(2), P.global('collections', 'OrderedDict'), P.emptyList, P.mark, P.binint1(1), P.binint1(2), P.appends, P.tuple1, P.reduce, P.stop)),
  },
  { name: 'pkl-put-across-mark.pth', expect: 'error', bytes: () => pthOf(pickle(P.proto(2), P.emptyDict, P.mark, P.binput(0), P.pop, P.stop)) },
  { name: 'pkl-dup-across-mark.pth', expect: 'error', bytes: () => pthOf(pickle(P.proto(2), P.emptyDict, P.mark, P.dup, P.tuple, P.stop)) },
  { name: 'pkl-storage-type-proto.pth', expect: 'error', bytes: () => pthOf(pickle(P.proto(2), P.global('torch', '__proto__'), P.stop)) },
  { name: 'pkl-storage-type-constructor.pth', expect: 'error', bytes: () => pthOf(pickle(P.proto(2), P.global('torch', 'constructor'), P.stop)) },
  { name: 'pkl-os-system.pth', expect: 'error', bytes: () => pthOf(pickle(P.proto(2), P.global('os', 'system'), P.shortStr('touch /tmp/pwned'), P.tuple1, P.reduce, P.stop)) },
  { name: 'pkl-binunicode-4gb.pth', expect: 'error', bytes: () => pthOf(pickle(P.proto(2), [0x58, 0xff, 0xff, 0xff, 0xff], P.stop)) },
  { name: 'pkl-frame-2p63.pth', expect: 'error', bytes: () => pthOf(pickle(P.proto(4), [0x95, 0, 0, 0, 0, 0, 0, 0, 0x80], P.stop)) },

  // tensors: expanded (stride-0) views of a tiny storage, names that drive the terminal
  { name: 'pkl-stride0-256mb.pth', expect: 'error', bytes: () => pthOf(tensorDictPickle([['w', 0, [64 << 20], [0]]], 1), storage12.subarray(0, 4)) },
  { name: 'pkl-stride0-16gb.pth', expect: 'error', bytes: () => pthOf(tensorDictPickle([['w', 0, [2 ** 30, 4], [0, 0]]], 1), storage12.subarray(0, 4)) },
  { name: 'pkl-escape-name.pth', expect: 'error', bytes: () => pthOf(tensorDictPickle([[ESC_NAME, 10, [2, 2], [2, 1]]])) },

  // legacy .pth: storage counts the file cannot back
  {
    name: 'legacy-count-2p62.pth',
    expect: 'error',
    bytes: () => legacyPth(tensorDictPickle([['w', 0, [12], [1]]]), [['0', 2n ** 62n, storage12]]),
  },
  {
    name: 'legacy-count-forged-both.pth',
    expect: 'error',
    bytes: () => legacyPth(tensorDictPickle([['w', 0, [12], [1]]], 2n ** 40n), [['0', 2n ** 40n, storage12]]),
  },
  { name: 'legacy-valid.pth', expect: 'ok', bytes: () => legacyPth(tensorDictPickle([['w', 0, [3, 4], [4, 1]]]), [['0', 12n, storage12]]) },
];
