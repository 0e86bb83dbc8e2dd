import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { captureIO } from '../test/io.js';
import type { InspectReport } from './inspect.js';

const fixtures = fileURLToPath(new URL('../../../../fixtures/', import.meta.url));

interface Manifest {
  fixtures: {
    kind: string;
    file?: { file: string } | string;
    expected_tensors?: string;
    weights?: { file: string; tensors: Record<string, number[]> };
    io?: { file: string };
    input?: { name: string; shape: number[] };
    outputs?: Record<string, { shape: number[] }>;
    tensors?: Record<string, number[]>;
  }[];
}

/** file → expected {name: shape}, in the manifest's order, for every tensor file the manifest describes. */
function expectedTensors(): Map<string, Record<string, number[]>> {
  const m = JSON.parse(readFileSync(join(fixtures, 'MANIFEST.json'), 'utf8')) as Manifest;
  const out = new Map<string, Record<string, number[]>>();
  for (const f of m.fixtures) {
    if (f.weights) out.set(f.weights.file, f.weights.tensors);
    if (f.io && f.input && f.outputs) {
      const io: Record<string, number[]> = { [f.input.name]: f.input.shape };
      for (const [k, v] of Object.entries(f.outputs)) io[k] = v.shape;
      out.set(f.io.file, io);
    }
    if (f.kind === 'pos_embed_resample' && typeof f.file === 'object') out.set(f.file.file, f.tensors!);
  }
  // A .pth holds the tensors of the .safetensors its entry names ("X.safetensors (all tensors bit-identical...)").
  for (const f of m.fixtures) {
    if (f.kind === 'pth' && typeof f.file === 'object') out.set(f.file.file, out.get(f.expected_tensors!.split(' ')[0]!)!);
  }
  return out;
}

async function inspectJson(file: string): Promise<InspectReport> {
  const io = captureIO();
  const code = await main(['inspect', file, '--json'], io);
  expect(io.err()).toBe('');
  expect(code).toBe(0);
  return JSON.parse(io.out()) as InspectReport;
}

describe('deit-eval inspect', () => {
  const expected = expectedTensors();
  const files = readdirSync(fixtures).filter((f) => f.endsWith('.safetensors') || f.endsWith('.pth'));

  it('covers every checkpoint file in fixtures/', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
    for (const f of files) expect(expected.has(f), `${f} is described in MANIFEST.json`).toBe(true);
  });

  it.each(files)('%s: exactly the names, dtypes and shapes of MANIFEST.json', async (f) => {
    const report = await inspectJson(join(fixtures, f));
    const want = expected.get(f)!;
    expect(report.tensors.map((t) => t.name)).toEqual(Object.keys(want));
    for (const t of report.tensors) {
      expect(t.shape, t.name).toEqual(want[t.name]);
      // The fixtures are float32 except BatchNorm's int64 counters (fixtures/README.md).
      expect(t.dtype, t.name).toBe(t.name.endsWith('num_batches_tracked') ? 'I64' : 'F32');
    }
    const elements = Object.values(want).reduce((s, shape) => s + shape.reduce((a, b) => a * b, 1), 0);
    expect(report.totals.tensors).toBe(Object.keys(want).length);
    expect(report.totals.parameters).toBe(elements);
    expect(report.totals.bytes).toBe(report.tensors.reduce((s, t) => s + t.elements * (t.dtype === 'I64' ? 8 : 4), 0));
  });

  it('prints an aligned table and totals; for a training checkpoint names the other top-level keys', async () => {
    const io = captureIO();
    expect(await main(['inspect', join(fixtures, 'deit_micro_distilled_patch4_32.train_checkpoint.pth')], io)).toBe(0);
    const lines = io.out().split('\n');
    expect(lines[0]).toMatch(/train_checkpoint\.pth: PyTorch \.pth \(zip\)$/);
    expect(lines[1]).toBe("state dict: 'model'; other top-level keys: optimizer, lr_scheduler, epoch, args");
    const header = lines.findIndex((l) => l.startsWith('name '));
    const rows = lines.slice(header + 1, header + 36);
    // Columns start at the same offsets on every row.
    const dtypeCol = lines[header]!.indexOf('dtype');
    const shapeCol = lines[header]!.indexOf('shape');
    for (const r of rows) {
      expect(r.slice(dtypeCol, dtypeCol + 3)).toBe('F32');
      expect(r[shapeCol]).toBe('[');
    }
    expect(rows[0]).toMatch(/^cls_token +F32 +\[1, 1, 64\]$/);
    expect(rows[34]).toMatch(/^head_dist\.bias +F32 +\[10\]$/);
    // deit_micro_distilled: 108,884 parameters (MANIFEST config.num_params), all float32.
    expect(io.out().trimEnd().split('\n').at(-1)).toBe('35 tensors, 108,884 parameters, 435,536 bytes');
  });

  describe('malformed files: one error line, exit code 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'deit-eval-inspect-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const header = (json: string, extra = 0) => {
      const text = Buffer.from(json);
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(text.length + extra));
      return Buffer.concat([len, text]);
    };
    it.each([
      ['bad-json.safetensors', () => header('{"a": {'), /not valid JSON/],
      ['bad-dtype.safetensors', () => Buffer.concat([header('{"w":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}'), Buffer.alloc(1)]), /\[w\]: unknown dtype "Q4"/],
      ['bad-length.safetensors', () => header('{}', 1000), /header length 1002 runs past the end/],
      ['cut.pth', () => readFileSync(join(fixtures, 'timm_resnet_bottleneck_tiny.pth')).subarray(0, 5000), /zip is truncated or corrupt/],
      ['text.pth', () => Buffer.from('definitely not a checkpoint'), /unrecognised checkpoint format/],
      ['a-directory.pth', undefined, /is a directory, not a regular file/],
    ])('%s', async (name, make, message) => {
      const file = join(dir, name);
      if (make === undefined) mkdirSync(file);
      else writeFileSync(file, make());
      const io = captureIO();
      expect(await main(['inspect', file], io)).toBe(2);
      expect(io.out()).toBe('');
      const err = io.err();
      expect(err.endsWith('\n')).toBe(true);
      expect(err.trimEnd().split('\n')).toHaveLength(1);
      expect(err).toMatch(new RegExp(`^deit-eval: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
      expect(err).toMatch(message);
    });
  });
});
