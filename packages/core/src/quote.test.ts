import { describe, expect, it } from 'vitest';
import { CheckpointError } from './errors.js';
import { escapeControl, quote, truncateText } from './quote.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function deepArray(depth: number): unknown[] {
  const root: unknown[] = [];
  let cur = root;
  for (let i = 1; i < depth; i++) {
    const next: unknown[] = [];
    cur.push(next);
    cur = next;
  }
  return root;
}

describe('quote: hostile values in error messages', () => {
  it('renders plain values as JSON would', () => {
    expect(quote('F32')).toBe('"F32"');
    expect(quote([2, 3])).toBe('[2, 3]');
    expect(quote(null)).toBe('null');
    expect(quote(undefined)).toBe('undefined');
    expect(quote({ a: 1 })).toBe('{"a": 1}');
    expect(quote(new Map([['k', [1]]]))).toBe('{"k": [1]}');
  });

  it('BigInt: exact when small, by size when huge (no "cannot serialize a BigInt")', () => {
    expect(quote(2n ** 60n)).toBe('1152921504606846976');
    expect(quote([0, 2n ** 64n])).toBe('[0, 18446744073709551616]');
    const huge = 1n << 8_000_000n; // what a 1 MB LONG4 decodes to
    expect(quote(huge)).toBe('<integer of 8000004 bits>');
  });

  it('cycles: marked, never "circular structure"', () => {
    const a: unknown[] = [1];
    a.push(a);
    expect(quote(a)).toBe('[1, <cycle>]');
    const m = new Map<unknown, unknown>();
    m.set('self', m);
    expect(quote(m)).toBe('{"self": <cycle>}');
  });

  it('100k-deep nested arrays: bounded depth, no stack overflow', () => {
    expect(quote(deepArray(100_000))).toBe('[[[…]]]');
    expect(quote(deepArray(100_000), { maxDepth: 5 })).toBe('[[[[[[…]]]]]]');
  });

  it('10 MB strings and 300k-item arrays: a short excerpt with the original size', () => {
    const s = quote('A'.repeat(10_000_000));
    expect(s.length).toBeLessThanOrEqual(80);
    expect(s).toMatch(/^"A+"…\(10000000 chars\)$/);
    const items = quote(new Array(300_000).fill(7));
    expect(items).toBe('[7, 7, 7, 7, 7, 7, …]');
    expect(quote(new Array(300_000).fill('x'.repeat(1000)), { maxLength: 100 }).length).toBeLessThanOrEqual(100);
  });

  it('escapes control characters, quotes and backslashes inside strings', () => {
    expect(quote('\u001b[2J\u0007"\\')).toBe('"\\x1b[2J\\x07\\"\\\\"');
    expect(CONTROL.test(quote('a\nb\rc\u009bd'))).toBe(false);
  });

  it('typed arrays and class instances by type, not by content', () => {
    expect(quote(new Uint8Array(1 << 20))).toBe('Uint8Array(1048576 bytes)');
    expect(quote(new (class Storage {})())).toBe('<Storage>');
  });
});

describe('escapeControl and truncateText', () => {
  it('escape C0, DEL, C1, line separators and bidi overrides; leave other text alone', () => {
    expect(escapeControl('a\u001b]0;title\u0007b')).toBe('a\\x1b]0;title\\x07b');
    expect(escapeControl('x\u007fy\u0085z\u2028\u202e')).toBe('x\\x7fy\\x85z\\u2028\\u202e');
    expect(escapeControl('blocks.0.attn.qkv.weight é 中')).toBe('blocks.0.attn.qkv.weight é 中');
  });

  it('truncateText keeps short text and notes the size of long text', () => {
    expect(truncateText('abc', 10)).toBe('abc');
    expect(truncateText('a'.repeat(100), 30)).toBe(`${'a'.repeat(18)}…(100 chars)`);
  });
});

describe('CheckpointError messages are one bounded, printable line', () => {
  it('escapes the file, tensor and detail; keeps the raw values in its fields', () => {
    const name = '\u001b[2J\u001b]0;pwned\u0007w';
    const e = new CheckpointError('/tmp/x\ny.pth', 'bad\u001b[31m value', name);
    expect(CONTROL.test(e.message)).toBe(false);
    expect(e.message).toBe('/tmp/x\\x0ay.pth ["\\x1b[2J\\x1b]0;pwned\\x07w"]: bad\\x1b[31m value');
    expect(e.tensor).toBe(name);
    expect(e.file).toBe('/tmp/x\ny.pth');
  });

  it('cuts a 10 MB tensor name and a 10 MB detail', () => {
    const e = new CheckpointError('f.pth', 'x'.repeat(10_000_000), 'n'.repeat(10_000_000));
    expect(e.message.length).toBeLessThan(1600);
    expect(e.message).toContain('…(10000000 chars)');
  });

  it('plain tensor names stay unquoted', () => {
    expect(new CheckpointError('f.safetensors', 'missing', 'blocks.0.norm1.weight').message).toBe('f.safetensors [blocks.0.norm1.weight]: missing');
  });
});
