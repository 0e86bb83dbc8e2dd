import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOSTILE_FILES } from './hostile-files.js';
import { BytesSource, defaultUnpickleBudget, FileSource, PickleGlobal, pythonGlobal, type UnpickleOptions, unpickle } from './pickle.js';
import { P, pickle } from './test-files.js';
import { refusal } from '../test/checkpoint-error.js';

const FILE = 'limits.pkl';
const run = (bytes: Uint8Array, options: Partial<UnpickleOptions> = {}) =>
  unpickle(new BytesSource(FILE, bytes), { file: FILE, findGlobal: pythonGlobal, ...options });

/** The data.pkl inside a hostile zip `.pth` (its first stored entry starts after a 30-byte header and the name). */
function hostilePickle(name: string): Uint8Array {
  const zip = Buffer.from(HOSTILE_FILES.find((h) => h.name === name)!.bytes());
  const size = zip.readUInt32LE(18);
  const start = 30 + zip.readUInt16LE(26);
  return zip.subarray(start, start + size);
}

describe('LONG1 / LONG4 decode in linear time', () => {
  it('values: positive, negative, two-complement edge', () => {
    expect(run(pickle(P.proto(2), P.long1([0x00, 0x80]), P.stop))).toBe(-32768);
    expect(run(pickle(P.proto(2), P.long1([0xff, 0x7f]), P.stop))).toBe(32767);
    expect(run(pickle(P.proto(2), P.long4(Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0x80])), P.stop))).toBe(-(2n ** 71n) + 1n);
  });

  it('a 1 MB LONG4 (which used to never finish) decodes exactly (the test timeout bounds the quadratic decoder this replaced)', () => {
    const bytes = new Uint8Array(1 << 20).fill(0x5a);
    const pkl = pickle(P.proto(2), P.long4(bytes), P.stop);
    const v = run(pkl) as bigint;
    // 0x5a5a…5a: (0x5a / 0xff) × (2^(8n) − 1), an independent closed form.
    expect(v).toBe((0x5an * ((1n << BigInt(8 * bytes.length)) - 1n)) / 0xffn);
  });
});

describe('protocol-0 INT / LONG decimal text is limited to 4300 digits, as CPython', () => {
  const intLine = (digits: string, op = 0x49) => Uint8Array.from([op, ...Buffer.from(`${digits}\n`), 0x2e]);

  it('4300 digits read exactly; 4301 are refused', () => {
    const d = `1${'0'.repeat(4299)}`;
    expect(run(intLine(d))).toBe(10n ** 4299n);
    expect(run(intLine(`-${d}`, 0x4c))).toBe(-(10n ** 4299n));
    expect(refusal(() => run(intLine(`${d}0`))).message).toMatch(/INT of 4301 digits at byte 0 exceeds the 4300-digit limit \(as CPython\)/);
  });

  it('lines longer than the 64 KiB buffer of FileSource are read whole (UNICODE of 200k chars, then GLOBAL)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'deitjs-lines-'));
    try {
      const file = join(dir, 'lines.pkl');
      const text = 'é'.repeat(10) + 'x'.repeat(200_000);
      const body = Buffer.concat([Buffer.from([0x28, 0x56]), Buffer.from(`${text}\n`, 'latin1'), Buffer.from([0x63]), Buffer.from('builtins\nset\n'), Buffer.from([0x74, 0x2e])]);
      writeFileSync(file, body);
      const fd = openSync(file, 'r');
      try {
        const [s, g] = unpickle(new FileSource(file, fd, 0, body.length), { file, findGlobal: pythonGlobal }) as [string, PickleGlobal];
        expect(s).toBe(text);
        expect(g.qualifiedName).toBe('builtins.set');
      } finally {
        closeSync(fd);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a 4M-digit LONG (superlinear to parse) is refused at once', () => {
    const pkl = intLine('7'.repeat(4_000_000), 0x4c);
    expect(refusal(() => run(pkl)).message).toMatch(/LONG of 4000000 digits/);
  });
});

describe('expansion ("billion laughs") is bounded by a budget relative to the input', () => {
  it('_codecs.encode of a 40-level shared list is refused at once (only text can be encoded)', () => {
    const e = refusal(() => run(hostilePickle('pkl-billion-laughs-encode.pth')));
    expect(e.tensor).toBe('_codecs.encode');
    expect(e.message).toMatch(/_codecs.encode refuses its arguments: encodes \[\[\[…\], \[…\], .*not a string/);
  });

  it('50k calls of list(L) on a memoised 100k-item list stop at the budget', () => {
    const pkl = hostilePickle('pkl-billion-laughs-list-copies.pth');
    const e = refusal(() => run(pkl));
    expect(e.tensor).toBe('builtins.list');
    expect(e.message).toContain(`pickle calls copy more than ${defaultUnpickleBudget(pkl.length)} items/bytes (16 per pickle byte + 1048576)`);
  });

  it('the budget is 1 Mi + 16 per input byte; calls are charged the sizes of their arguments', () => {
    expect(defaultUnpickleBudget(1000)).toBe(1_048_576 + 16_000);
    const copies = (n: number) => pickle(P.proto(2), P.global('builtins', 'list'), P.binput(0), P.pop, P.str('abcdefghij'), P.binput(1), P.pop, ...Array.from({ length: n }, () => [...P.binget(0), ...P.binget(1), ...P.tuple1, ...P.reduce, ...P.pop]), P.none, P.stop);
    // Each call costs 1 + 10 (the string's length): 9 calls fit in 100, 10 do not.
    expect(run(copies(9), { budget: 100 })).toBe(null);
    expect(refusal(() => run(copies(10), { budget: 100 })).message).toMatch(/more than 100 items\/bytes/);
  });
});

describe('large and deep structures do not overflow the stack', () => {
  it('APPENDS of 300k items', () => {
    const ops: number[] = [...P.proto(2), ...P.emptyList, ...P.mark];
    for (let i = 0; i < 300_000; i++) ops.push(...P.binint1(i & 0xff));
    ops.push(...P.appends, ...P.stop);
    const list = run(Uint8Array.from(ops)) as number[];
    expect(list).toHaveLength(300_000);
    expect(list[299_999]).toBe(299_999 & 0xff);
  });

  it('lists nested 100k deep', () => {
    const ops: number[] = [...P.proto(2)];
    for (let i = 0; i < 100_000; i++) ops.push(...P.emptyList);
    for (let i = 1; i < 100_000; i++) ops.push(...P.append);
    ops.push(...P.stop);
    let v = run(Uint8Array.from(ops)) as unknown[];
    let depth = 1;
    while (v.length === 1) {
      v = v[0] as unknown[];
      depth++;
    }
    expect(depth).toBe(100_000);
  });
});

describe('malformed calls and stack use are typed errors', () => {
  it('OrderedDict of items that are not pairs', () => {
    const e = refusal(() => run(hostilePickle('pkl-ordereddict-non-pairs.pth')));
    expect(e.tensor).toBe('collections.OrderedDict');
    expect(e.message).toMatch(/an item 1 is not a \(key, value\) pair/);
    const ok = run(pickle(P.proto(2), P.global('collections', 'OrderedDict'), P.mark, P.shortStr('k'), P.binint1(1), P.tuple2, P.list, P.tuple1, P.reduce, P.stop));
    expect(ok).toEqual(new Map([['k', 1]]));
  });

  it('a construct that throws something untyped becomes a CheckpointError naming the global', () => {
    const boom = new PickleGlobal('m.f', () => {
      throw new RangeError('Invalid array length');
    });
    const e = refusal(() => run(pickle(P.proto(2), P.global('m', 'f'), P.emptyTuple, P.reduce, P.stop), { findGlobal: () => boom }));
    expect(e.tensor).toBe('m.f');
    expect(e.message).toMatch(/m.f refuses its arguments: Invalid array length/);
  });

  it('PUT, DUP and BUILD cannot reach below a MARK (as CPython)', () => {
    expect(refusal(() => run(pickle(P.proto(2), P.emptyDict, P.mark, P.binput(0), P.pop, P.stop))).message).toMatch(/underflow at byte 4/);
    expect(refusal(() => run(pickle(P.proto(2), P.emptyDict, P.mark, P.dup, P.tuple, P.stop))).message).toMatch(/underflow/);
    expect(refusal(() => run(pickle(P.proto(2), P.emptyDict, P.mark, P.emptyDict, P.build, P.stop))).message).toMatch(/underflow/);
    // Above the mark, the same opcodes work.
    expect(run(pickle(P.proto(2), P.mark, P.none, P.dup, P.tuple, P.stop))).toEqual([null, null]);
  });
});
