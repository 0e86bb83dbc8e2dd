import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointError } from '../errors.js';
import type { HostTensor, StateDict } from '../tensor-data.js';
import { readSafetensors, readSafetensorsHeader, writeSafetensors } from './safetensors.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../../../fixtures/${name}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'deitjs-st-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Bytes of a safetensors file built by hand: length prefix, header text, data. */
function craft(name: string, header: string | object, data: Uint8Array = new Uint8Array(0), lengthOverride?: bigint): string {
  const text = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(lengthOverride ?? BigInt(text.byteLength));
  const file = join(dir, name);
  writeFileSync(file, Buffer.concat([prefix, text, data]));
  return file;
}

function bytesOf(t: HostTensor): Buffer {
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

function expectCheckpointError(fn: () => unknown, file: string, tensor: string | undefined, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(CheckpointError);
  const e = caught as CheckpointError;
  expect(e.file).toBe(file);
  expect(e.tensor).toBe(tensor);
  expect(e.message).toContain(file);
  if (tensor !== undefined) expect(e.message).toContain(`[${tensor}]`);
  expect(e.message).toMatch(message);
}

describe('readSafetensors on the PyTorch fixtures', () => {
  it('reads the micro DeiT weights with the values numpy sees', () => {
    const sd = readSafetensors(fixture('deit_micro_distilled_patch4_32.safetensors'));
    const manifest = JSON.parse(readFileSync(fixture('MANIFEST.json'), 'utf8')) as {
      fixtures: { model: string; weights?: { tensors: Record<string, number[]> } }[];
    };
    const expected = manifest.fixtures.find((f) => f.model === 'deit_micro_distilled_patch4_32')!.weights!.tensors;
    // Same names, same order (the file's data order is the state_dict order), same shapes.
    expect([...sd.keys()]).toEqual(Object.keys(expected));
    for (const [name, t] of sd) {
      expect(t.shape, name).toEqual(expected[name]);
      expect(t.dtype).toBe('F32');
    }
    // Bit patterns and a float64 sum computed with numpy from the same file.
    const cls = sd.get('cls_token')!.data as Float32Array;
    expect(Array.from(new Uint32Array(cls.buffer, cls.byteOffset, 3))).toEqual([0x3cb98903, 0xbcd73e71, 0x3c84e0d2]);
    const head = sd.get('head.weight')!;
    expect(head.shape).toEqual([10, 64]);
    let sum = 0;
    for (const v of head.data as Float32Array) sum += v;
    expect(sum).toBeCloseTo(0.28719485581132176, 12);
  });

  it('reads I64 BatchNorm counters as BigInt and F32 running stats', () => {
    const sd = readSafetensors(fixture('timm_resnet_bottleneck_tiny.safetensors'));
    const nbt = sd.get('bn1.num_batches_tracked')!;
    expect(nbt.dtype).toBe('I64');
    expect(nbt.shape).toEqual([]);
    expect(nbt.data).toBeInstanceOf(BigInt64Array);
    expect(nbt.data[0]).toBe(75750n);
    let sum = 0;
    for (const v of sd.get('bn1.running_var')!.data as Float32Array) sum += v;
    expect(sum).toBeCloseTo(9.550378412008286, 10);
  });

  it('reads only the requested names and exposes metadata in the header', () => {
    const file = fixture('deit_micro_distilled_patch4_32.safetensors');
    const sd = readSafetensors(file, { names: ['head.bias', 'cls_token'] });
    expect([...sd.keys()]).toEqual(['cls_token', 'head.bias']);
    const header = readSafetensorsHeader(file);
    expect(header.metadata['format']).toBe('pt');
    expect(header.entries).toHaveLength(35);
    expect(header.dataStart).toBe(8 + 3104);
    expectCheckpointError(() => readSafetensors(file, { names: ['nope'] }), file, 'nope', /no such tensor/);
  });
});

describe('writeSafetensors', () => {
  it('writes exactly the bytes the format prescribes (hand-built expectation)', () => {
    const file = join(dir, 'tiny.safetensors');
    writeSafetensors(file, new Map([['a', { dtype: 'F32', shape: [2], data: new Float32Array([1, -2]) }]]));
    const json = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const padded = json + ' '.repeat(56 - json.length);
    const expected = Buffer.alloc(8 + 56 + 8);
    expected.writeBigUInt64LE(56n, 0);
    expected.write(padded, 8, 'utf8');
    expected.writeFloatLE(1, 64);
    expected.writeFloatLE(-2, 68);
    expect(readFileSync(file).equals(expected)).toBe(true);
  });

  it('round-trips every dtype bit for bit, with edge values, scalars, empty tensors and metadata', () => {
    const file = join(dir, 'all-dtypes.safetensors');
    const tensors: StateDict = new Map<string, HostTensor>([
      ['z.f64', { dtype: 'F64', shape: [2, 3], data: new Float64Array([0, -0, Number.NaN, Infinity, -Infinity, 1e-310]) }],
      ['a.f32', { dtype: 'F32', shape: [4], data: new Float32Array([1.5, -0, Number.NaN, 3.4e38]) }],
      ['f16', { dtype: 'F16', shape: [3], data: new Uint16Array([0x3c00, 0xfc00, 0x7e01]) }],
      ['bf16', { dtype: 'BF16', shape: [3, 1], data: new Uint16Array([0x3f80, 0xff80, 0x0001]) }],
      ['i64', { dtype: 'I64', shape: [3], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 42n]) }],
      ['i32', { dtype: 'I32', shape: [2], data: new Int32Array([-2147483648, 2147483647]) }],
      ['i16', { dtype: 'I16', shape: [2], data: new Int16Array([-32768, 32767]) }],
      ['i8', { dtype: 'I8', shape: [3], data: new Int8Array([-128, 0, 127]) }],
      ['u8', { dtype: 'U8', shape: [2], data: new Uint8Array([0, 255]) }],
      ['bool', { dtype: 'BOOL', shape: [2, 2], data: new Uint8Array([1, 0, 0, 1]) }],
      ['scalar', { dtype: 'F32', shape: [], data: new Float32Array([7]) }],
      ['empty', { dtype: 'F32', shape: [0, 5], data: new Float32Array(0) }],
      ['0', { dtype: 'I8', shape: [1], data: new Int8Array([5]) }],
    ]);
    writeSafetensors(file, tensors, { format: 'pt', note: 'ünïcode' });
    const raw = readFileSync(file);
    const headerLen = Number(raw.readBigUInt64LE(0));
    expect(headerLen % 8).toBe(0);
    const back = readSafetensors(file);
    // Order given is kept, even for an integer-like name that JSON object order would hoist.
    expect([...back.keys()]).toEqual([...tensors.keys()]);
    for (const [name, t] of tensors) {
      const r = back.get(name)!;
      expect(r.dtype, name).toBe(t.dtype);
      expect(r.shape, name).toEqual(t.shape);
      expect(r.data.constructor, name).toBe(t.data.constructor);
      expect(bytesOf(r).equals(bytesOf(t)), name).toBe(true);
    }
    expect(readSafetensorsHeader(file).metadata).toEqual({ format: 'pt', note: 'ünïcode' });
    // The data section is exactly the concatenated tensors, so offsets are contiguous.
    const total = [...tensors.values()].reduce((s, t) => s + t.data.byteLength, 0);
    expect(raw.byteLength).toBe(8 + headerLen + total);
  });

  it('writes tensors whose data is a view into a larger buffer', () => {
    const file = join(dir, 'view.safetensors');
    const big = new Float32Array([9, 8, 7, 6, 5]);
    writeSafetensors(file, new Map([['v', { dtype: 'F32', shape: [3], data: big.subarray(1, 4) }]]));
    expect(Array.from(readSafetensors(file).get('v')!.data as Float32Array)).toEqual([8, 7, 6]);
  });

  it('rejects bad tensors with a CheckpointError and leaves the old file and no temp file behind', () => {
    const file = join(dir, 'keep.safetensors');
    writeSafetensors(file, new Map([['x', { dtype: 'F32', shape: [1], data: new Float32Array([1]) }]]));
    const before = readFileSync(file);
    const bad = (t: HostTensor) => () => writeSafetensors(file, new Map([['x', { dtype: 'F32', shape: [1], data: new Float32Array([2]) }], ['bad', t]]));
    expectCheckpointError(bad({ dtype: 'F32', shape: [3], data: new Float32Array(2) }), file, 'bad', /3 elements but data holds 2/);
    expectCheckpointError(bad({ dtype: 'F32', shape: [2], data: new Float64Array(2) }), file, 'bad', /must be a Float32Array/);
    expectCheckpointError(bad({ dtype: 'Q8' as 'U8', shape: [2], data: new Uint8Array(2) }), file, 'bad', /unknown dtype/);
    expectCheckpointError(
      () => writeSafetensors(file, new Map([['__metadata__', { dtype: 'U8', shape: [1], data: new Uint8Array(1) }]])),
      file,
      '__metadata__',
      /reserved/,
    );
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('malformed safetensors files raise CheckpointError naming file and tensor', () => {
  const entry = (dtype: string, shape: number[], offsets: [number, number]) => ({ dtype, shape, data_offsets: offsets });

  it('truncated file: shorter than the length prefix', () => {
    const file = join(dir, 'short.safetensors');
    writeFileSync(file, Buffer.from([1, 2, 3, 4]));
    expectCheckpointError(() => readSafetensors(file), file, undefined, /truncated: 4 bytes/);
  });

  it('truncated file: data cut off in the middle of a tensor', () => {
    const file = join(dir, 'cut.safetensors');
    writeFileSync(file, readFileSync(fixture('deit_micro_distilled_patch4_32.safetensors')));
    truncateSync(file, 200_000);
    const header = readSafetensorsHeader(fixture('deit_micro_distilled_patch4_32.safetensors'));
    // The first tensor whose bytes no longer fit is the one named.
    const firstCut = header.entries.find((e) => header.dataStart + e.dataOffsets[1] > 200_000)!;
    expectCheckpointError(() => readSafetensors(file), file, firstCut.name, /out of range.*truncated/);
  });

  it('header length past the end of the file', () => {
    const file = craft('hlen.safetensors', { a: entry('F32', [1], [0, 4]) }, new Uint8Array(4), 10_000n);
    expectCheckpointError(() => readSafetensors(file), file, undefined, /header length 10000 runs past the end/);
  });

  it('invalid JSON', () => {
    const file = craft('json.safetensors', '{"a": {"dtype": "F32", ', new Uint8Array(4));
    expectCheckpointError(() => readSafetensors(file), file, undefined, /not valid JSON/);
  });

  it('unknown dtype', () => {
    const file = craft('dtype.safetensors', { a: entry('F32', [1], [0, 4]), b: entry('C64', [1], [4, 12]) }, new Uint8Array(12));
    expectCheckpointError(() => readSafetensors(file), file, 'b', /unknown dtype "C64"/);
  });

  it('data offsets out of range', () => {
    const file = craft('range.safetensors', { a: entry('F32', [1], [0, 4]), b: entry('F32', [2], [4, 12]) }, new Uint8Array(8));
    expectCheckpointError(() => readSafetensors(file), file, 'b', /data_offsets \[4, 12\] out of range: the data section holds 8 bytes/);
  });

  it('overlapping offsets', () => {
    const file = craft('overlap.safetensors', { a: entry('F32', [2], [0, 8]), b: entry('F32', [2], [4, 12]) }, new Uint8Array(12));
    expectCheckpointError(() => readSafetensors(file), file, 'b', /overlap those of "a" \[0, 8\]/);
  });

  it('a gap between tensors, or before the first, is refused (as the reference implementation does)', () => {
    const gap = craft('gap.safetensors', { a: entry('F32', [1], [0, 4]), b: entry('F32', [1], [8, 12]) }, new Uint8Array(12));
    expectCheckpointError(() => readSafetensors(gap), gap, 'b', /data_offsets \[8, 12\] leave a gap of 4 bytes after the end of "a" \(byte 4\)/);
    const lead = craft('lead.safetensors', { a: entry('F32', [1], [4, 8]) }, new Uint8Array(8));
    expectCheckpointError(() => readSafetensorsHeader(lead), lead, 'a', /gap of 4 bytes after the start of the data section/);
  });

  it('trailing bytes after the last tensor are refused; empty tensors anywhere in the sequence are fine', () => {
    const file = craft('trailing.safetensors', { a: entry('F32', [1], [0, 4]) }, new Uint8Array(5));
    expectCheckpointError(() => readSafetensors(file), file, undefined, /1 trailing bytes after the last tensor's data \(the data section holds 5 bytes, the tensors 4\)/);
    const empties = craft('empties.safetensors', { e0: entry('F32', [0], [0, 0]), a: entry('U8', [2], [0, 2]), e1: entry('F32', [3, 0], [2, 2]) }, new Uint8Array(2));
    expect([...readSafetensors(empties).keys()]).toEqual(['e0', 'a', 'e1']);
  });

  it('shape × dtype size differs from the byte range', () => {
    const file = craft('size.safetensors', { a: entry('F32', [2], [0, 8]), w: entry('F64', [2, 3], [8, 40]) }, new Uint8Array(40));
    expectCheckpointError(() => readSafetensors(file), file, 'w', /shape \[2, 3\] × F64 needs 48 bytes but data_offsets \[8, 40\] span 32/);
  });

  it('a missing file, and a directory', () => {
    const file = join(dir, 'does-not-exist.safetensors');
    expectCheckpointError(() => readSafetensors(file), file, undefined, /cannot open/);
    expectCheckpointError(() => readSafetensors(dir), dir, undefined, /is a directory, not a regular file/);
  });
});
