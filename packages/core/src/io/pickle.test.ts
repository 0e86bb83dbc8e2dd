import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../errors.js';
import { BytesSource, PickledObject, pythonGlobal, unpickle } from './pickle.js';

const FILE = 'test.pkl';

/** Pickle opcodes as bytes, written by hand after the pickletools reference. */
const P = {
  proto: (n: number) => [0x80, n],
  stop: [0x2e],
  mark: [0x28],
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
  binfloat: (x: number) => {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(x);
    return [0x47, ...b];
  },
  str: (s: string) => {
    const u = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(u.length);
    return [0x58, ...len, ...u];
  },
  shortStr: (s: string) => [0x8c, s.length, ...Buffer.from(s, 'latin1')],
  shortBytes: (b: number[]) => [0x43, b.length, ...b],
  global: (module: string, name: string) => [0x63, ...Buffer.from(`${module}\n${name}\n`, 'latin1')],
  stackGlobal: [0x93],
  emptyDict: [0x7d],
  emptyList: [0x5d],
  emptyTuple: [0x29],
  tuple: [0x74],
  tuple1: [0x85],
  tuple2: [0x86],
  setitem: [0x73],
  setitems: [0x75],
  appends: [0x65],
  reduce: [0x52],
  build: [0x62],
  newobj: [0x81],
  binput: (i: number) => [0x71, i],
  binget: (i: number) => [0x68, i],
  memoize: [0x94],
  emptySet: [0x8f],
  additems: [0x90],
  inst: (module: string, name: string) => [0x69, ...Buffer.from(`${module}\n${name}\n`, 'latin1')],
  frame: (n: number) => [0x95, n, 0, 0, 0, 0, 0, 0, 0],
};

const run = (...parts: number[][]) => unpickle(new BytesSource(FILE, Uint8Array.from(parts.flat())), { file: FILE, findGlobal: pythonGlobal });

function refusal(fn: () => unknown): CheckpointError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CheckpointError);
    return err as CheckpointError;
  }
  throw new Error('expected a CheckpointError');
}

describe('unpickle (restricted)', () => {
  it('builds dicts, lists, tuples, numbers, strings, bytes and sets', () => {
    const v = run(
      P.proto(2),
      P.emptyDict,
      P.binput(0),
      P.mark,
      P.shortStr('n'),
      P.binint(-123456),
      P.shortStr('big'),
      P.long1([0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01]), // 2**64
      P.shortStr('neg'),
      P.long1([0xff]), // -1
      P.shortStr('f'),
      P.binfloat(0.1),
      P.shortStr('s'),
      P.str('héllo'),
      P.shortStr('b'),
      P.shortBytes([0, 255]),
      P.shortStr('list'),
      P.emptyList,
      P.mark,
      P.true,
      P.false,
      P.none,
      P.appends,
      P.shortStr('t'),
      P.binint1(1),
      P.binint1(2),
      P.tuple2,
      P.shortStr('self'),
      P.binget(0),
      P.shortStr('set'),
      P.emptySet,
      P.mark,
      P.binint1(3),
      P.binint1(3),
      P.additems,
      P.setitems,
      P.stop,
    ) as Map<string, unknown>;
    expect(v).toBeInstanceOf(Map);
    expect(v.get('n')).toBe(-123456);
    expect(v.get('big')).toBe(2n ** 64n);
    expect(v.get('neg')).toBe(-1);
    expect(v.get('f')).toBe(0.1);
    expect(v.get('s')).toBe('héllo');
    expect(v.get('b')).toEqual(new Uint8Array([0, 255]));
    expect(v.get('list')).toEqual([true, false, null]);
    expect(v.get('t')).toEqual([1, 2]);
    expect(v.get('self')).toBe(v); // memo: the same object, not a copy
    expect(v.get('set')).toEqual(new Set([3]));
  });

  it('maps argparse.Namespace to an inert object holding its attributes', () => {
    const v = run(
      P.proto(2),
      P.global('argparse', 'Namespace'),
      P.emptyTuple,
      P.newobj,
      P.emptyDict,
      P.mark,
      P.shortStr('lr'),
      P.binfloat(5e-4),
      P.shortStr('model'),
      P.shortStr('deit_tiny'),
      P.setitems,
      P.build,
      P.stop,
    );
    expect(v).toBeInstanceOf(PickledObject);
    const o = v as PickledObject;
    expect(o.className).toBe('argparse.Namespace');
    expect(o.attributes.get('lr')).toBe(5e-4);
    expect(o.attributes.get('model')).toBe('deit_tiny');
  });

  it('rebuilds OrderedDict and protocol-2 bytes (_codecs.encode)', () => {
    const v = run(
      P.proto(2),
      P.global('collections', 'OrderedDict'),
      P.emptyTuple,
      P.reduce,
      P.shortStr('k'),
      P.global('_codecs', 'encode'),
      P.str('\u00ff\u0001'),
      P.shortStr('latin1'),
      P.tuple2,
      P.reduce,
      P.setitem,
      P.stop,
    ) as Map<string, unknown>;
    expect(v).toBeInstanceOf(Map);
    expect(v.get('k')).toEqual(new Uint8Array([0xff, 0x01]));
  });

  it.each([
    ['os', 'system'],
    ['posix', 'system'],
    ['builtins', 'eval'],
    ['builtins', 'getattr'],
    ['subprocess', 'Popen'],
    ['torch', 'load'],
  ])('refuses the global %s.%s (GLOBAL + REDUCE), naming it', (module, name) => {
    const e = refusal(() => run(P.proto(2), P.global(module, name), P.str('echo pwned'), P.tuple1, P.reduce, P.stop));
    expect(e.tensor).toBe(`${module}.${name}`);
    expect(e.message).toMatch(new RegExp(`${module}\\.${name}.*not allowed`));
    expect(e.file).toBe(FILE);
  });

  it('refuses forbidden globals reached through STACK_GLOBAL (protocol 4) and INST (protocol 0)', () => {
    const viaStack = refusal(() =>
      run(P.proto(4), P.frame(30), P.shortStr('builtins'), P.memoize, P.shortStr('exec'), P.memoize, P.stackGlobal, P.str('1'), P.tuple1, P.reduce, P.stop),
    );
    expect(viaStack.tensor).toBe('builtins.exec');
    const viaInst = refusal(() => run(P.mark, P.str('ls'), P.inst('subprocess', 'Popen'), P.stop));
    expect(viaInst.tensor).toBe('subprocess.Popen');
  });

  it('refuses persistent ids when no loader is given, unknown opcodes and truncated input', () => {
    expect(refusal(() => run(P.proto(2), P.str('x'), [0x51], P.stop)).message).toMatch(/persistent ids/);
    expect(refusal(() => run(P.proto(2), [0x82, 1], P.stop)).message).toMatch(/unsupported pickle opcode 0x82/); // EXT1
    expect(refusal(() => run(P.proto(2), P.emptyDict, P.shortStr('k'))).message).toMatch(/truncated/);
    expect(refusal(() => run(P.proto(2), P.setitem, P.stop)).message).toMatch(/underflow/);
  });
});
