import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointError } from '../errors.js';
import type { HostTensor, StateDict } from '../tensor-data.js';
import { PickledObject } from './pickle.js';
import { P, storage12, tensorDictPickle, zipArchive } from './test-files.js';
import { readPth } from './pth.js';
import { readSafetensors } from './safetensors.js';
import { detectCheckpointFormat, isHostTensor, loadStateDictFile, readCheckpoint } from './state-dict-file.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../../../fixtures/${name}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'deitjs-pth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bytesOf = (t: HostTensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);

function expectBitIdentical(actual: StateDict, expected: StateDict): void {
  expect([...actual.keys()]).toEqual([...expected.keys()]);
  for (const [name, e] of expected) {
    const a = actual.get(name)!;
    expect(a.dtype, name).toBe(e.dtype);
    expect(a.shape, name).toEqual(e.shape);
    expect(bytesOf(a).equals(bytesOf(e)), name).toBe(true);
  }
}

const zip = zipArchive;
const str = (s: string) => P.shortStr(s);
const int = (n: number) => P.binint1(n);
const glob = P.global;

describe('readPth / loadStateDictFile on the PyTorch fixtures (bit for bit vs safetensors)', () => {
  it('deit .pth ({model: state_dict}, zip)', () => {
    expect(detectCheckpointFormat(fixture('deit_micro_distilled_patch4_32.pth'))).toBe('pth-zip');
    const c = readCheckpoint(fixture('deit_micro_distilled_patch4_32.pth'));
    expect(c.wrapper).toBe('model');
    expect(c.otherKeys).toEqual([]);
    expectBitIdentical(c.tensors, readSafetensors(fixture('deit_micro_distilled_patch4_32.safetensors')));
  });

  it('timm ResNet bare state_dict, zip and legacy formats (I64 num_batches_tracked included)', () => {
    const expected = readSafetensors(fixture('timm_resnet_bottleneck_tiny.safetensors'));
    expect(detectCheckpointFormat(fixture('timm_resnet_bottleneck_tiny.legacy.pth'))).toBe('pth-legacy');
    expectBitIdentical(loadStateDictFile(fixture('timm_resnet_bottleneck_tiny.pth')), expected);
    expectBitIdentical(loadStateDictFile(fixture('timm_resnet_bottleneck_tiny.legacy.pth')), expected);
    expect(loadStateDictFile(fixture('timm_resnet_bottleneck_tiny.legacy.pth')).get('bn1.num_batches_tracked')!.dtype).toBe('I64');
  });

  it('training checkpoint: model, AdamW state, scheduler, epoch and args (Namespace)', () => {
    const file = fixture('deit_micro_distilled_patch4_32.train_checkpoint.pth');
    const c = readCheckpoint(file);
    expect(c.wrapper).toBe('model');
    expect(c.otherKeys).toEqual(['optimizer', 'lr_scheduler', 'epoch', 'args']);
    expectBitIdentical(c.tensors, readSafetensors(fixture('deit_micro_distilled_patch4_32.safetensors')));

    const root = readPth(file) as Map<string, unknown>;
    expect(root.get('epoch')).toBe(3);
    const args = root.get('args') as PickledObject;
    expect(args).toBeInstanceOf(PickledObject);
    expect(args.className).toBe('argparse.Namespace');
    expect(args.attributes.get('teacher_model')).toBe('regnety_160');
    expect(args.attributes.get('batch_size')).toBe(128);
    expect(args.attributes.get('distillation_type')).toBe('hard');

    const manifest = JSON.parse(readFileSync(fixture('MANIFEST.json'), 'utf8')) as {
      fixtures: {
        model: string;
        optimizer?: {
          param_groups: { weight_decay: number; lr: number; params: number[] }[];
          state: Record<string, { step: number; exp_avg: { shape: number[]; sum: number; abs_sum: number }; exp_avg_sq: { abs_sum: number } }>;
        };
      }[];
    };
    const m = manifest.fixtures.find((f) => f.model === 'deit_micro_distilled_patch4_32.train_checkpoint.pth')!.optimizer!;
    const opt = root.get('optimizer') as Map<string, unknown>;
    const groups = opt.get('param_groups') as Map<string, unknown>[];
    expect(groups.map((g) => g.get('weight_decay'))).toEqual(m.param_groups.map((g) => g.weight_decay));
    expect(groups.map((g) => g.get('params'))).toEqual(m.param_groups.map((g) => g.params));
    const state = opt.get('state') as Map<number, Map<string, unknown>>;
    expect(state.size).toBe(Object.keys(m.state).length);
    const sums = (t: HostTensor) => {
      let s = 0;
      let a = 0;
      for (const v of t.data as Float32Array) {
        s += v;
        a += Math.abs(v);
      }
      return [s, a];
    };
    for (const [i, expected] of Object.entries(m.state)) {
      const st = state.get(Number(i))!;
      const step = st.get('step') as HostTensor;
      expect(isHostTensor(step)).toBe(true);
      expect((step.data as Float32Array)[0]).toBe(expected.step);
      const avg = st.get('exp_avg') as HostTensor;
      expect(avg.shape).toEqual(expected.exp_avg.shape);
      const [s, a] = sums(avg);
      // The manifest's tolerances: abs_sum rtol 1e-6, sum atol 1e-9 (it can cancel to ~0).
      expect(Math.abs(a - expected.exp_avg.abs_sum)).toBeLessThanOrEqual(1e-6 * expected.exp_avg.abs_sum);
      expect(Math.abs(s - expected.exp_avg.sum)).toBeLessThanOrEqual(1e-9);
      const [, a2] = sums(st.get('exp_avg_sq') as HostTensor);
      expect(Math.abs(a2 - expected.exp_avg_sq.abs_sum)).toBeLessThanOrEqual(1e-6 * expected.exp_avg_sq.abs_sum);
    }
  });
});

describe('readPth on hand-built checkpoints', () => {
  it('honours storage_offset and strides (a transposed view and an offset slice of one storage)', () => {
    const file = join(dir, 'views.pth');
    const pkl = tensorDictPickle([
      ['t', 1, [2, 3], [1, 2]], // element (i, j) = storage[1 + i + 2j]
      ['slice', 6, [2, 2], [2, 1]], // rows of two from element 6
      ['scalar', 11, [], []],
      ['whole', 0, [12], [1]],
    ]);
    // A prefix other than the file name, as other torch versions write.
    writeFileSync(file, zip([['archive/data.pkl', pkl], ['archive/data/0', storage12], ['archive/version', Buffer.from('3\n')]]));
    const sd = loadStateDictFile(file);
    expect(Array.from(sd.get('t')!.data as Float32Array)).toEqual([1, 3, 5, 2, 4, 6]);
    expect(sd.get('t')!.shape).toEqual([2, 3]);
    expect(Array.from(sd.get('slice')!.data as Float32Array)).toEqual([6, 7, 8, 9]);
    expect(Array.from(sd.get('scalar')!.data as Float32Array)).toEqual([11]);
    expect(sd.get('scalar')!.shape).toEqual([]);
    expect(Array.from(sd.get('whole')!.data as Float32Array)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('reads ZIP64 archives (sizes and offsets in ZIP64 extra fields and end records)', () => {
    const file = join(dir, 'zip64.pth');
    writeFileSync(file, zip([['z/data.pkl', tensorDictPickle([['t', 1, [2, 3], [1, 2]]])], ['z/data/0', storage12]], true));
    expect(Array.from(loadStateDictFile(file).get('t')!.data as Float32Array)).toEqual([1, 3, 5, 2, 4, 6]);
  });

  it('a view reaching past its storage names the tensor', () => {
    const file = join(dir, 'past.pth');
    writeFileSync(file, zip([['a/data.pkl', tensorDictPickle([['w', 10, [2, 2], [2, 1]]])], ['a/data/0', storage12]]));
    expect(() => readPth(file)).toThrow(CheckpointError);
    expect(() => readPth(file)).toThrow(/\[w\]: size \[2, 2\] with stride \[2, 1\] at offset 10 reaches element 13 of a 12-element storage/);
  });

  it('refuses a pickle asking for a forbidden global, naming it, and never reads on', () => {
    const file = join(dir, 'evil.pth');
    const pkl = Uint8Array.from([0x80, 0x02, ...glob('posix', 'system'), ...str('touch /tmp/pwned'), 0x85, 0x52, 0x2e]);
    writeFileSync(file, zip([['evil/data.pkl', pkl]]));
    try {
      readPth(file);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CheckpointError);
      expect((err as CheckpointError).tensor).toBe('posix.system');
      expect((err as CheckpointError).message).toContain(file);
    }
  });

  it('a truncated zip raises CheckpointError naming the file', () => {
    const file = join(dir, 'truncated.pth');
    const whole = readFileSync(fixture('deit_micro_distilled_patch4_32.pth'));
    writeFileSync(file, whole.subarray(0, Math.floor(whole.length / 2)));
    expect(detectCheckpointFormat(file)).toBe('pth-zip');
    expect(() => loadStateDictFile(file)).toThrow(CheckpointError);
    expect(() => loadStateDictFile(file)).toThrow(new RegExp(`${file}: zip is truncated or corrupt`));
  });

  it('a zip whose storage entry is missing or short names the storage', () => {
    const file = join(dir, 'short-storage.pth');
    writeFileSync(file, zip([['a/data.pkl', tensorDictPickle([['w', 0, [12], [1]]])], ['a/data/0', storage12.subarray(0, 40)]]));
    expect(() => readPth(file)).toThrow(/\[storage 0\]: entry a\/data\/0 holds 40 bytes, its 12 F32 elements need 48/);
    writeFileSync(file, zip([['a/data.pkl', tensorDictPickle([['w', 0, [12], [1]]])]]));
    expect(() => readPth(file)).toThrow(/no entry a\/data\/0/);
  });

  it('a truncated legacy file names the file', () => {
    const file = join(dir, 'legacy-cut.pth');
    const whole = readFileSync(fixture('timm_resnet_bottleneck_tiny.legacy.pth'));
    writeFileSync(file, whole.subarray(0, whole.length - 1000));
    expect(() => loadStateDictFile(file)).toThrow(CheckpointError);
    expect(() => loadStateDictFile(file)).toThrow(/\[storage \d+\]: file is truncated: \d+ (F32|I64) elements at byte \d+ run past the end/);
  });

  it('a corrupt length inside a legacy pickle is refused before anything is allocated', () => {
    const file = join(dir, 'legacy-long4.pth');
    writeFileSync(file, Uint8Array.from([0x80, 0x02, 0x8b, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x2e])); // LONG4 of 2 GiB
    expect(() => readPth(file)).toThrow(/pickle is truncated: 2147483647 bytes wanted at byte 7 of 9/);
  });

  it('a file of neither format, and a dict without tensors', () => {
    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, 'hello world, not a checkpoint');
    expect(() => loadStateDictFile(junk)).toThrow(/unrecognised checkpoint format/);
    const empty = join(dir, 'empty.pth');
    writeFileSync(empty, zip([['e/data.pkl', Uint8Array.from([0x80, 0x02, 0x7d, ...str('epoch'), ...int(3), 0x73, 0x2e])]]));
    expect(() => loadStateDictFile(empty)).toThrow(/holds no tensors \(top-level keys: epoch\)/);
  });
});
