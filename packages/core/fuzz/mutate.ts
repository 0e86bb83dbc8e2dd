// Seeded mutations of checkpoint files: bit flips, interesting bytes, insertions, deletions, truncation,
// length-field corruption and splicing, aimed at the structural parts of each format most of the time.
import { zipArchive } from '../src/io/test-files.js';
import { Rng } from '../src/rng.js';
import { mutatePickle } from './mutate-pickle.js';

/** Byte ranges `[start, end)` of a file worth aiming at (headers, directories, pickles), and its length fields. */
export interface Structure {
  /** Ranges holding structure rather than tensor data. */
  regions: [number, number][];
  /** Offsets of 4-byte little-endian length/offset fields (zip directory and headers). */
  fields32: number[];
  /** Offsets of 8-byte little-endian length fields (safetensors header length, legacy storage counts). */
  fields64: number[];
  /** The pickle's byte range, when the file starts with one (legacy .pth). */
  pickle?: [number, number];
  /** A zip's entries and which one is data.pkl: mutants of the pickle are packed into a consistent archive. */
  zip?: { entries: [string, Uint8Array][]; pkl: number };
}

/** A mutated file and what was done to it. */
export interface Mutant {
  bytes: Uint8Array;
  /** Readable list of the mutations applied, to reproduce a finding. */
  steps: string[];
}

const INTERESTING_8 = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x28, 0x2e, 0x7b, 0x5b];
const INTERESTING_32 = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
const INTERESTING_64 = [0n, 1n, 0x7fffffffn, 0xffffffffn, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 64n - 1n];
// Replacements for a number in a JSON header: huge, negative, fractional, nested, mistyped.
const JSON_NUMBERS = ['0', '-1', '1.5', '4294967295', '18446744073709551616', '9007199254740993', '1e308', '[[[[1]]]]', '"x"', 'null', '{}'];

/** A seeded generator for one case: the same (seed, case) always gives the same mutant. */
export function caseRng(seed: number, id: number): Rng {
  return new Rng((Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(id + 1, 0x85ebca77)) >>> 0);
}

const below = (rng: Rng, n: number) => (n <= 0 ? 0 : rng.nextUint32() % n);
const pick = <T>(rng: Rng, items: readonly T[]): T => items[below(rng, items.length)]!;

/** A position: inside a structural region 3 times in 4, anywhere otherwise. */
function position(rng: Rng, length: number, s: Structure): number {
  if (s.regions.length > 0 && below(rng, 4) !== 0) {
    const [a, b] = pick(rng, s.regions);
    const lo = Math.min(a, length);
    const hi = Math.min(b, length);
    if (hi > lo) return lo + below(rng, hi - lo);
  }
  return below(rng, length);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function randomBytes(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = below(rng, 2) === 0 ? pick(rng, INTERESTING_8) : below(rng, 256);
  return out;
}

/** Replaces one number of the safetensors JSON header with a hostile token, keeping the length prefix right. */
function jsonNumber(rng: Rng, bytes: Uint8Array): [Uint8Array, string] | undefined {
  if (bytes.length < 8) return undefined;
  const len = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (len > bytes.length - 8 || len > 1 << 24) return undefined;
  const text = Buffer.from(bytes.subarray(8, 8 + len)).toString('latin1');
  const numbers = [...text.matchAll(/-?\d+/g)];
  if (numbers.length === 0) return undefined;
  const m = pick(rng, numbers);
  const depth = 1 + below(rng, 100_000);
  const token = [
    () => pick(rng, JSON_NUMBERS),
    () => '['.repeat(depth) + ']'.repeat(depth),
    () => `"${'A'.repeat(depth * 10)}"`,
    () => '"\\u001b[2J\\u001b]0;x\\u0007"',
  ][below(rng, 8) < 5 ? 0 : 1 + below(rng, 3)]!();
  const header = Buffer.from(text.slice(0, m.index) + token + text.slice(m.index! + m[0].length), 'latin1');
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(header.length), true);
  return [concat(prefix, header, bytes.subarray(8 + len)), `json number ${m[0]}@${m.index} → ${token.length > 40 ? `${token.slice(0, 20)}… (${token.length} chars)` : token}`];
}

/** One mutation of `bytes`; `others` are the other fixtures, for splicing. */
function mutateOnce(rng: Rng, bytes: Uint8Array, s: Structure, others: readonly Uint8Array[]): [Uint8Array, string] {
  const n = bytes.length;
  switch (below(rng, 9)) {
    case 0: {
      const out = bytes.slice();
      const flips = 1 + below(rng, 8);
      const at: number[] = [];
      for (let i = 0; i < flips && n > 0; i++) {
        const p = position(rng, n, s);
        out[p]! ^= 1 << below(rng, 8);
        at.push(p);
      }
      return [out, `bitflip ${at.join(',')}`];
    }
    case 1: {
      const out = bytes.slice();
      const p = position(rng, n, s);
      const v = pick(rng, INTERESTING_8);
      if (n > 0) out[p] = v;
      return [out, `set ${p}=${v}`];
    }
    case 2: {
      const p = position(rng, n, s);
      const k = 1 + below(rng, below(rng, 2) === 0 ? 8 : 256);
      return [concat(bytes.subarray(0, p), randomBytes(rng, k), bytes.subarray(p)), `insert ${k}@${p}`];
    }
    case 3: {
      const p = position(rng, n, s);
      const k = 1 + below(rng, below(rng, 2) === 0 ? 8 : 4096);
      return [concat(bytes.subarray(0, p), bytes.subarray(Math.min(n, p + k))), `delete ${k}@${p}`];
    }
    case 4: {
      const p = position(rng, n, s);
      return [bytes.slice(0, p), `truncate ${p}`];
    }
    case 5:
    case 6: {
      const out = bytes.slice();
      const view = new DataView(out.buffer);
      const use64 = s.fields64.length > 0 && (s.fields32.length === 0 || below(rng, 3) === 0);
      if (use64) {
        const at = pick(rng, s.fields64);
        if (at + 8 > n) return [out, 'field64 out of range'];
        const old = view.getBigUint64(at, true);
        const v = below(rng, 2) === 0 ? pick(rng, INTERESTING_64) : old + BigInt(below(rng, 17)) - 8n;
        view.setBigUint64(at, BigInt.asUintN(64, v), true);
        return [out, `field64 ${at}: ${old} → ${BigInt.asUintN(64, v)}`];
      }
      const at = s.fields32.length > 0 ? pick(rng, s.fields32) : position(rng, Math.max(0, n - 4), s);
      if (at + 4 > n) return [out, 'field32 out of range'];
      const old = view.getUint32(at, true);
      const choices = [...INTERESTING_32, n, n - 1, n + 1, old + 1, old - 1, old * 2, old >>> 1];
      const v = pick(rng, choices) >>> 0;
      view.setUint32(at, v, true);
      return [out, `field32 ${at}: ${old} → ${v}`];
    }
    case 7: {
      const mutated = jsonNumber(rng, bytes);
      if (mutated !== undefined) return mutated;
      const out = bytes.slice();
      const p = position(rng, Math.max(0, n - 4), s);
      if (p + 4 <= n) new DataView(out.buffer).setUint32(p, pick(rng, INTERESTING_32), true);
      return [out, `u32 at ${p}`];
    }
    default: {
      const other = pick(rng, others);
      const from = below(rng, other.length);
      const k = 1 + below(rng, 4096);
      const chunk = other.subarray(from, Math.min(other.length, from + k));
      const p = position(rng, n, s);
      if (below(rng, 2) === 0) return [concat(bytes.subarray(0, p), chunk, bytes.subarray(p)), `splice-in ${chunk.length}@${p}`];
      return [concat(bytes.subarray(0, p), other.subarray(from)), `splice-tail ${p} + other@${from}`];
    }
  }
}

/**
 * 1–3 seeded mutations of a fixture. Half of the time a file holding a pickle has that pickle mutated instead
 * (pickle-aware or byte-level), and a zip is packed again around it so the mutant gets past the zip layer.
 */
export function mutate(rng: Rng, bytes: Uint8Array, s: Structure, others: readonly Uint8Array[]): Mutant {
  const steps: string[] = [];
  const count = 1 + below(rng, 3);
  if (s.zip !== undefined && below(rng, 2) === 0) {
    const entries = s.zip.entries.map(([n, d]) => [n, d] as [string, Uint8Array]);
    let pkl = entries[s.zip.pkl]![1];
    for (let i = 0; i < count; i++) {
      const [next, step] = below(rng, 4) === 0 ? mutateOnce(rng, pkl, { regions: [], fields32: [], fields64: [] }, others) : mutatePickle(rng, pkl, 0, pkl.length);
      pkl = next;
      steps.push(`data.pkl: ${step}`);
    }
    entries[s.zip.pkl]![1] = pkl;
    if (below(rng, 8) === 0) {
      const k = below(rng, entries.length);
      const cut = below(rng, entries[k]![1].length);
      entries[k]![1] = entries[k]![1].subarray(0, cut);
      steps.push(`entry ${entries[k]![0]} cut to ${cut}`);
    }
    return { bytes: zipArchive(entries, below(rng, 4) === 0), steps };
  }
  let out = bytes;
  for (let i = 0; i < count; i++) {
    const usePickle = s.pickle !== undefined && below(rng, 2) === 0;
    const [next, step] = usePickle ? mutatePickle(rng, out, s.pickle![0], Math.min(s.pickle![1], out.length)) : mutateOnce(rng, out, s, others);
    out = next;
    steps.push(step);
  }
  return { bytes: out, steps };
}
