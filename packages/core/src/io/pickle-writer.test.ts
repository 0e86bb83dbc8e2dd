import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DeitError } from '../errors.js';
import { BytesSource, PickledObject, pythonGlobal, unpickle } from './pickle.js';
import { pickleDumps } from './pickle-writer.js';
import { PyFloat, PyGlobal, PyNewObj, PyOrderedDict, PyTuple } from './python-values.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const load = (b: Uint8Array) => unpickle(new BytesSource('mem.pkl', b), { file: 'mem.pkl', findGlobal: pythonGlobal });

// Every expected hex string below was produced once, offline, with CPython 3.11.7's C pickler:
//   python3 -c "import pickle; print(pickle.dumps(<the Python value in the comment>, protocol=2).hex())"
describe('pickleDumps writes what CPython pickle.dumps(protocol=2) writes', () => {
  it('a dict of scalars, lists, tuples and a repeated string', () => {
    // {'a': 1, 'b': [1.5, None, True, False], 'c': (1, 2), 'd': 'a', 'e': -1, 'f': 70000, 'g': 2**40, 'h': -2**40,
    //  'i': (), 'j': (1, 2, 3, 4), 'k': 1.0, 'l': 300, 'm': 'é', 'n': [], 'o': {}, 'p': ['x']}
    const expected =
      '80027d71002858010000006171014b0158010000006271025d710328473ff80000000000004e88896558010000006371044b014b028671055801000000647106680158010000006571074affffffff58010000006671084a7011010058010000006771098a06000000000001580100000068710a8a060000000000ff580100000069710b2958010000006a710c284b014b024b034b0474710d58010000006b710e473ff000000000000058010000006c710f4d2c0158010000006d71105802000000c3a9711158010000006e71125d711358010000006f71147d711558010000007071165d7117580100000078711861752e';
    const value = new Map<string, unknown>([
      ['a', 1],
      ['b', [1.5, null, true, false]],
      ['c', new PyTuple([1, 2])],
      ['d', 'a'],
      ['e', -1],
      ['f', 70000],
      ['g', 2 ** 40],
      ['h', -(2 ** 40)],
      ['i', new PyTuple([])],
      ['j', new PyTuple([1, 2, 3, 4])],
      ['k', new PyFloat(1)],
      ['l', 300],
      ['m', 'é'],
      ['n', []],
      ['o', new Map()],
      ['p', ['x']],
    ]);
    expect(hex(pickleDumps(value))).toBe(expected);
  });

  it('an OrderedDict with a _metadata attribute (a torch state dict), and one with a single item', () => {
    // od = OrderedDict([('w', 1), ('b', 2)]); od._metadata = OrderedDict([('', {'version': 1}), ('fc', {'version': 1})])
    const expected =
      '800263636f6c6c656374696f6e730a4f726465726564446963740a7100295271012858010000007771024b0158010000006271034b02757d710458090000005f6d65746164617461710568002952710628580000000071077d7108580700000076657273696f6e71094b017358020000006663710a7d710b68094b01737573622e';
    const meta = new PyOrderedDict(
      new Map([
        ['', new Map([['version', 1]])],
        ['fc', new Map([['version', 1]])],
      ]),
    );
    const od = new PyOrderedDict(
      new Map([
        ['w', 1],
        ['b', 2],
      ]),
      new Map([['_metadata', meta]]),
    );
    expect(hex(pickleDumps(od))).toBe(expected);
    // OrderedDict([('w', 1)])
    expect(hex(pickleDumps(new PyOrderedDict(new Map([['w', 1]]))))).toBe(
      '800263636f6c6c656374696f6e730a4f726465726564446963740a71002952710158010000007771024b01732e',
    );
  });

  it('an argparse.Namespace (NEWOBJ + BUILD) and a tuple shared by two dicts (memo by identity)', () => {
    // argparse.Namespace(lr=0.1, model='deit', epochs=3)
    const ns = new PyNewObj(new PyGlobal('argparse', 'Namespace'), new PyTuple([]), new Map<string, unknown>([
      ['lr', 0.1],
      ['model', 'deit'],
      ['epochs', 3],
    ]));
    expect(hex(pickleDumps(ns))).toBe(
      '80026361726770617273650a4e616d6573706163650a7100298171017d71022858020000006c727103473fb999999999999a58050000006d6f64656c71045804000000646569747105580600000065706f63687371064b0375622e',
    );
    // t = (0.9, 0.999); [{'betas': t}, {'betas': t}]
    const t = new PyTuple([0.9, 0.999]);
    expect(hex(pickleDumps([new Map([['betas', t]]), new Map([['betas', t]])]))).toBe(
      '80025d7100287d7101580500000062657461737102473feccccccccccccd473feff7ced916872b867103737d71046802680373652e',
    );
  });

  it('batches of 1000 (lists, dicts, OrderedDicts), LONG1/LONG4 integers and memo indices past 255', () => {
    // big = {'l1001': list(range(1001)), 'd1000': {str(i): i for i in range(1000)},
    //        'o1001': OrderedDict(('k' + str(i), i) for i in range(1001)), 'l1': [5],
    //        'longs': [2**31, -2**31-1, 2**63, -2**63, 255, 256, 65535, 65536, -256, 2**2100]}
    // len(pickle.dumps(big, protocol=2)) == 34746, sha256 as below. (The OrderedDict's keys differ from the dict's:
    // CPython memoises by object, and str(i) makes a new object each time, so equal keys would be written twice
    // where this writer, memoising strings by value, writes a BINGET.)
    const range = (n: number) => Array.from({ length: n }, (_, i) => i);
    const big = new Map<string, unknown>([
      ['l1001', range(1001)],
      ['d1000', new Map(range(1000).map((i) => [String(i), i]))],
      ['o1001', new PyOrderedDict(new Map(range(1001).map((i) => [`k${i}`, i])))],
      ['l1', [5]],
      ['longs', [2 ** 31, -(2 ** 31) - 1, 2n ** 63n, -(2n ** 63n), 255, 256, 65535, 65536, -256, 2n ** 2100n]],
    ]);
    const bytes = pickleDumps(big);
    expect(bytes.length).toBe(34746);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe('d5f1de6e1fd226d686df5c1f4ebef4d15e2a5a8dba07232e48a24637bc14054a');
    // And our reader reads it back.
    const back = load(bytes) as Map<string, unknown>;
    expect((back.get('l1001') as number[]).length).toBe(1001);
    expect((back.get('d1000') as Map<string, number>).get('999')).toBe(999);
    expect((back.get('o1001') as Map<string, number>).get('k1000')).toBe(1000);
    expect(back.get('longs')).toEqual([2 ** 31, -(2 ** 31) - 1, 2n ** 63n, -(2n ** 63n), 255, 256, 65535, 65536, -256, 2n ** 2100n]);
  });

  it('round trips through our unpickler (Namespace as an inert object, tuples as arrays)', () => {
    const ns = new PyNewObj(new PyGlobal('argparse', 'Namespace'), new PyTuple([]), new Map([['seed', 0]]));
    const back = load(pickleDumps(new Map<string, unknown>([['args', ns], ['t', new PyTuple(['a', 'b', 'c', 'd'])]]))) as Map<string, unknown>;
    expect(back.get('args')).toBeInstanceOf(PickledObject);
    expect((back.get('args') as PickledObject).attributes.get('seed')).toBe(0);
    expect(back.get('t')).toEqual(['a', 'b', 'c', 'd']);
  });

  it('refuses what it cannot write, naming it', () => {
    expect(() => pickleDumps(new Set([1]))).toThrow(DeitError);
    expect(() => pickleDumps(new Set([1]))).toThrow(/cannot pickle a Set/);
    expect(() => pickleDumps(2 ** 60)).toThrow(/bigint/);
    expect(() => pickleDumps(() => 1)).toThrow(/function/);
  });
});
