import { describe, expect, it } from 'vitest';
import { BytesSource, PickledObject, pythonGlobal, unpickle } from './pickle.js';
import { refusal } from '../test/checkpoint-error.js';
import { P } from './test-files.js';

const FILE = 'test.pkl';

const run = (...parts: number[][]) => unpickle(new BytesSource(FILE, Uint8Array.from(parts.flat())), { file: FILE, findGlobal: pythonGlobal });

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
