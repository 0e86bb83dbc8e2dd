// Pickle-aware mutations: numbers swapped for hostile ones (above 2^53, negative, huge sizes), opcodes replaced,
// and short hostile opcode sequences injected (deep nesting, memo references, calls, marks).
import type { Rng } from '../src/rng.js';
import { P, pickledInt } from '../src/io/test-files.js';

const INTERESTING_INTS: readonly (number | bigint)[] = [
  0, 1, 2, 255, 0x7fffffff, -1, -(2 ** 31), 2 ** 26, 2 ** 30, 2 ** 32, 2n ** 53n + 1n, 2n ** 60n, 2n ** 64n, -(2n ** 63n),
];

// Every protocol 0–5 opcode plus a few unassigned bytes.
const OPCODES = [
  0x28, 0x29, 0x2e, 0x30, 0x31, 0x32, 0x46, 0x47, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x58, 0x5d, 0x61,
  0x62, 0x63, 0x64, 0x65, 0x67, 0x68, 0x69, 0x6a, 0x6c, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x7d, 0x80, 0x81, 0x82, 0x85, 0x86, 0x87, 0x88,
  0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x00, 0xff,
];

const below = (rng: Rng, n: number) => (n <= 0 ? 0 : rng.nextUint32() % n);
const pick = <T>(rng: Rng, items: readonly T[]): T => items[below(rng, items.length)]!;

/** Short hostile opcode sequences to inject. */
function injection(rng: Rng): [number[], string] {
  const k = 1 + below(rng, below(rng, 4) === 0 ? 20_000 : 16);
  switch (below(rng, 10)) {
    case 0:
      return [[...Array.from({ length: k }, () => P.emptyList).flat(), ...Array.from({ length: k - 1 }, () => P.append).flat()], `nested lists ${k}`];
    case 1:
      return [P.binget(below(rng, 256)), 'BINGET'];
    case 2:
      return [[...P.emptyList, ...P.binput(below(rng, 256)), ...P.binget(below(rng, 256)), ...P.append], 'self-append'];
    case 3:
      return [P.global(pick(rng, ['torch', 'collections', '_codecs', 'builtins']), pick(rng, ['__proto__', 'constructor', 'OrderedDict', 'encode', 'list', 'FloatStorage'])), 'GLOBAL'];
    case 4:
      return [[...P.mark, ...Array.from({ length: k }, () => P.none).flat(), ...P.appends], `APPENDS ${k}`];
    case 5:
      return [P.long4(new Uint8Array(1 + below(rng, 1 << 16)).fill(0xa5)), 'LONG4'];
    case 6:
      return [pick(rng, [P.mark, P.pop, P.dup, P.tuple, P.reduce, P.build, P.stop, P.setitem, P.setitems, P.tuple2, P.binpersid]), 'control opcode'];
    case 7:
      return [pickledInt(pick(rng, INTERESTING_INTS)), 'int'];
    case 8:
      return [[...P.emptyTuple, ...P.tuple1, ...P.tuple1], 'tuples'];
    default:
      return [P.shortStr('\u001b[2J'), 'escape string'];
  }
}

/** Positions in `[start, end)` holding an int opcode (BININT, BININT1, BININT2, LONG1) and its length. */
function intOpcodes(bytes: Uint8Array, start: number, end: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = start; i < end; i++) {
    const op = bytes[i];
    if (op === 0x4b) out.push([i, 2]);
    else if (op === 0x4d) out.push([i, 3]);
    else if (op === 0x4a) out.push([i, 5]);
    else if (op === 0x8a && i + 1 < end) out.push([i, 2 + bytes[i + 1]!]);
  }
  return out;
}

function splice(bytes: Uint8Array, at: number, remove: number, insert: readonly number[]): Uint8Array {
  at = Math.min(at, bytes.length);
  remove = Math.min(remove, bytes.length - at);
  const out = new Uint8Array(bytes.length - remove + insert.length);
  out.set(bytes.subarray(0, at));
  out.set(insert, at);
  out.set(bytes.subarray(Math.min(bytes.length, at + remove)), at + insert.length);
  return out;
}

/** One pickle-aware mutation inside `[start, end)` of `bytes` (the pickle); sizes may change. */
export function mutatePickle(rng: Rng, bytes: Uint8Array, start: number, end: number): [Uint8Array, string] {
  const at = start + below(rng, Math.max(1, end - start));
  switch (below(rng, 4)) {
    case 0:
    case 1: {
      const ints = intOpcodes(bytes, start, end);
      if (ints.length === 0) break;
      const [p, len] = pick(rng, ints);
      const v = pick(rng, INTERESTING_INTS);
      return [splice(bytes, p, len, pickledInt(v)), `int@${p} → ${v}`];
    }
    case 2: {
      const out = bytes.slice();
      const op = pick(rng, OPCODES);
      if (at < out.length) out[at] = op;
      return [out, `opcode@${at} → 0x${op.toString(16)}`];
    }
  }
  const [ops, what] = injection(rng);
  return [splice(bytes, at, 0, ops), `inject ${what}@${at}`];
}
