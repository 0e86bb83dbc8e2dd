import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DeitError } from '../errors.js';
import type { HostTensor, StateDict } from '../tensor-data.js';
import { PyFloat, PyGlobal, PyNewObj, PyTuple } from './python-values.js';
import type { PickledObject } from './pickle.js';
import { readPth } from './pth.js';
import { pthArchiveName, pthChunks, torchStateDict, writePth } from './pth-writer.js';
import { readSafetensors } from './safetensors.js';
import { readZipDirectory } from './zip.js';
import { withCheckpointFile } from './open-file.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../../../fixtures/${name}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'deitjs-pth-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bytesOf = (t: HostTensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
const concat = (chunks: Iterable<Uint8Array>) => Buffer.concat([...chunks]);

/** `_metadata` of the fixtures' state dicts, which our reader drops: made by scripts/reference/pth_state_dict_metadata.py. */
const METADATA = JSON.parse(readFileSync(fixture('pth_state_dict_metadata.json'), 'utf8')) as Record<string, [string, number][]>;

function expectSameTensors(actual: StateDict, expected: StateDict): void {
  expect([...actual.keys()]).toEqual([...expected.keys()]);
  for (const [k, e] of expected) {
    const a = actual.get(k)!;
    expect([a.dtype, a.shape], k).toEqual([e.dtype, e.shape]);
    expect(bytesOf(a).equals(bytesOf(e)), k).toBe(true);
  }
}

describe('writePth', () => {
  it('rewrites the zip-format state-dict fixtures byte for byte (torch 1.13 layout: no byteorder record)', () => {
    // The only input beyond what readPth returns is each state dict's `_metadata`, which the reader drops.
    for (const [name, key] of [
      ['deit_micro_distilled_patch4_32.pth', 'model'],
      ['timm_resnet_bottleneck_tiny.pth', undefined],
    ] as const) {
      const original = readFileSync(fixture(name));
      const read = readPth(fixture(name)) as Map<string, unknown>;
      const tensors = (key === undefined ? read : read.get(key)) as StateDict;
      const sd = torchStateDict(tensors, new Map(METADATA[name]));
      const obj = key === undefined ? sd : new Map([[key, sd]]);
      const written = concat(pthChunks(obj, { archiveName: pthArchiveName(name), byteorder: false }));
      expect(written.length, name).toBe(original.length);
      expect(written.equals(original), name).toBe(true);
    }
  });

  it('writes atomically what readPth reads back: every dtype, 0-d and empty tensors, nested containers', () => {
    const t = (dtype: HostTensor['dtype'], shape: number[], data: HostTensor['data']): HostTensor => ({ dtype, shape, data });
    const tensors: [string, HostTensor][] = [
      ['f32', t('F32', [2, 3], Float32Array.from([1, 2, 3, 4, 5, -6.5]))],
      ['f64', t('F64', [2], Float64Array.from([Math.PI, -1e300]))],
      ['f16', t('F16', [3], Uint16Array.from([0x3c00, 0xc000, 0x7bff]))],
      ['bf16', t('BF16', [1, 2], Uint16Array.from([0x3f80, 0x4049]))],
      ['i64', t('I64', [], BigInt64Array.from([-(2n ** 62n)]))],
      ['i32', t('I32', [2], Int32Array.from([-7, 2 ** 31 - 1]))],
      ['i16', t('I16', [1], Int16Array.from([-300]))],
      ['i8', t('I8', [2], Int8Array.from([-128, 127]))],
      ['u8', t('U8', [2, 1, 1], Uint8Array.from([0, 255]))],
      ['bool', t('BOOL', [3], Uint8Array.from([1, 0, 1]))],
      ['empty', t('F32', [0, 4], new Float32Array(0))],
    ];
    const shared = tensors[0]![1];
    const obj = new Map<string, unknown>([
      ['model', torchStateDict(new Map(tensors))],
      ['again', shared],
      ['list', [1, 'two', new PyFloat(3), null, true, new PyTuple([0.9, 0.999])]],
      ['epoch', 7],
    ]);
    const file = join(dir, 'all.pth');
    writePth(file, obj);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const back = readPth(file) as Map<string, unknown>;
    expectSameTensors(back.get('model') as StateDict, new Map(tensors));
    expect(back.get('again')).toBe((back.get('model') as StateDict).get('f32'));
    expect(back.get('list')).toEqual([1, 'two', 3, null, true, [0.9, 0.999]]);
    expect(back.get('epoch')).toBe(7);
    // torch ≥ 2.1 layout: byteorder after data.pkl, storages in string order, version last; contents 64-byte aligned.
    const names = withCheckpointFile(file, (fd, size) => readZipDirectory(file, fd, size)).map((e) => e.name);
    const storageOrder = [0, 1, 10, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `all/data/${i}`);
    expect(names).toEqual(['all/data.pkl', 'all/byteorder', ...storageOrder, 'all/version']);
  });

  it('aligns every entry content to 64 bytes and streams tensors larger than one chunk', () => {
    const big: HostTensor = { dtype: 'U8', shape: [64 * 1024 * 1024 + 3], data: new Uint8Array(64 * 1024 * 1024 + 3).fill(7) };
    const file = join(dir, 'big.pth');
    let chunks = 0;
    for (const c of pthChunks(new Map([['x', big]]))) if (c.length > 0) chunks++;
    expect(chunks).toBeGreaterThan(6);
    writePth(file, new Map([['x', big]]));
    expect(statSync(file).size).toBeGreaterThan(big.data.length);
    const entries = withCheckpointFile(file, (fd, size) => readZipDirectory(file, fd, size));
    const raw = readFileSync(file);
    for (const e of entries) {
      const start = e.localHeaderOffset + 30 + raw.readUInt16LE(e.localHeaderOffset + 26) + raw.readUInt16LE(e.localHeaderOffset + 28);
      expect(start % 64, e.name).toBe(0);
    }
    const back = (readPth(file) as Map<string, HostTensor>).get('x')!;
    expect(back.data.length).toBe(big.data.length);
    expect((back.data as Uint8Array)[big.data.length - 1]).toBe(7);
  });

  it('refuses a tensor whose data does not match its shape, and leaves no file behind', () => {
    const file = join(dir, 'bad.pth');
    const bad: HostTensor = { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) };
    expect(() => writePth(file, new Map([['w', bad]]))).toThrow(DeitError);
    expect(() => writePth(file, new Map([['w', bad]]))).toThrow(/shape \[2, 2\] holds 3 elements/);
    expect(readdirSync(dir).filter((f) => f.startsWith('.bad') || f === 'bad.pth')).toEqual([]);
  });

  it('names the archive folder as torch does', () => {
    expect(pthArchiveName('/x/deit_micro.train_checkpoint.pth')).toBe('deit_micro.train_checkpoint');
    expect(pthArchiveName('checkpoint')).toBe('checkpoint');
  });
});

describe('the train checkpoint fixture', () => {
  it('is rewritten byte for byte once the Python types the reader drops are restored', () => {
    // readPth gives integral floats as plain numbers, tuples as arrays and the Namespace as an inert object; with
    // those put back (and the state dict's _metadata from the sidecar), every byte of deit's checkpoint comes out.
    const name = 'deit_micro_distilled_patch4_32.train_checkpoint.pth';
    const read = readPth(fixture(name)) as Map<string, unknown>;
    const floats = (m: Map<string, unknown>, keys: string[]) => {
      for (const k of keys) m.set(k, new PyFloat(m.get(k) as number));
    };
    const groups = (read.get('optimizer') as Map<string, unknown>).get('param_groups') as Map<string, unknown>[];
    const betas = new PyTuple(groups[0]!.get('betas') as number[]); // one tuple object shared by both groups, as in torch
    for (const g of groups) {
      floats(g, ['weight_decay']);
      g.set('betas', betas);
    }
    floats(read.get('lr_scheduler') as Map<string, unknown>, ['noise_std', 'cycle_mul', 'k_decay']);
    const args = read.get('args') as PickledObject;
    floats(args.attributes as Map<string, unknown>, ['drop', 'lr_noise_std', 'cutmix', 'mixup_prob', 'distillation_tau']);
    read.set('args', new PyNewObj(new PyGlobal('argparse', 'Namespace'), new PyTuple([]), args.attributes));
    read.set('model', torchStateDict(read.get('model') as StateDict, new Map(METADATA[name])));
    const written = concat(pthChunks(read, { archiveName: pthArchiveName(name), byteorder: false }));
    expect(written.equals(readFileSync(fixture(name)))).toBe(true);
  });


  it('round trips its tensors and plain values through writePth', () => {
    const file = fixture('deit_micro_distilled_patch4_32.train_checkpoint.pth');
    const read = readPth(file) as Map<string, unknown>;
    const out = join(dir, 'train.pth');
    // args is an inert Namespace stand-in, which the writer does not take: everything else is plain data.
    const { args: _args, ...rest } = Object.fromEntries(read);
    writePth(out, new Map(Object.entries(rest)));
    const back = readPth(out) as Map<string, unknown>;
    expectSameTensors(back.get('model') as StateDict, read.get('model') as StateDict);
    expect(back.get('optimizer')).toEqual(read.get('optimizer'));
    expect(back.get('lr_scheduler')).toEqual(read.get('lr_scheduler'));
    expect(back.get('epoch')).toBe(3);
    expect(readSafetensors(fixture('deit_micro_distilled_patch4_32.safetensors')).size).toBe((back.get('model') as StateDict).size);
  });
});
