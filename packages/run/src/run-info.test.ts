import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeitError } from '@deitjs/core';
import { afterAll, describe, expect, it } from 'vitest';
import { readRunInfo, runFile, teacherRunDir, writeRunInfo } from './run-info.js';
import { SAMPLE_RUN } from './test/sample-run.js';

const root = mkdtempSync(join(tmpdir(), 'deit-run-info-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const GOOD = SAMPLE_RUN;

let n = 0;
function runDir(json: unknown | string): string {
  const dir = join(root, `run${n++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'run.json'), typeof json === 'string' ? json : JSON.stringify(json));
  return dir;
}

/** GOOD with fields of its preprocessing transform replaced. */
function withTransform(fields: Record<string, unknown>): unknown {
  return { ...GOOD, preprocessing: { ...GOOD.preprocessing, transform: { ...GOOD.preprocessing.transform, ...fields } } };
}

describe('readRunInfo', () => {
  it('reads a valid run.json, keeping the optional fields', () => {
    const dir = runDir(GOOD);
    const info = readRunInfo(dir);
    expect(info).toEqual({ dir, ...GOOD, format: undefined });
    expect(info.data).toEqual(GOOD.data);
    // A relative teacher run that is not found from the working directory is taken from the run directory.
    expect(teacherRunDir(info)).toBe(join(dir, 'teacher'));
  });

  it('names the directory or file at fault', () => {
    const missing = join(root, 'nope');
    expect(() => readRunInfo(missing)).toThrow(new RegExp(`^${missing}: no such run directory$`));
    const empty = join(root, 'empty');
    mkdirSync(empty);
    expect(() => readRunInfo(empty)).toThrow(`${join(empty, 'run.json')}: missing: not a deit-train run directory`);
    writeFileSync(join(root, 'afile'), 'x');
    expect(() => readRunInfo(join(root, 'afile'))).toThrow(/afile: is not a directory/);
    const bad = runDir('{"format":');
    expect(() => readRunInfo(bad)).toThrow(new RegExp(`^${join(bad, 'run.json')}: is not valid JSON`));
    try {
      readRunInfo(bad);
    } catch (err) {
      expect(err).toBeInstanceOf(DeitError);
      expect((err as DeitError).code).toBe('E_RUN');
    }
  });

  it.each([
    [{ ...GOOD, format: 'deitjs-run/2' }, /run\.json: "format" must be "deitjs-run\/1", got "deitjs-run\/2"/],
    [{ ...GOOD, kind: 'teacherish' }, /run\.json: "kind" must be "student" or "teacher"/],
    [{ ...GOOD, model: 3 }, /"model" must be a model name, got 3/],
    [{ ...GOOD, numClasses: 0 }, /"numClasses" must be a positive integer, got 0/],
    [{ ...GOOD, imgSize: 31.5 }, /"imgSize" must be a positive integer/],
    [{ ...GOOD, distilled: 'yes' }, /"distilled" must be true or false/],
    [{ ...GOOD, data: undefined }, /"data" must be an object, got nothing/],
    [{ ...GOOD, data: { ...GOOD.data, dataSet: 'svhn' } }, /run\.json data: "dataSet" must be mnist \| imagefolder \| cifar10 \| cifar100/],
    [{ ...GOOD, data: { ...GOOD.data, seed: -1 } }, /run\.json data: "seed" must be a non-negative integer/],
    [{ ...GOOD, data: { ...GOOD.data, testPerClass: 'all' } }, /run\.json data: "testPerClass" must be a non-negative integer/],
    [{ ...GOOD, normalization: { mean: [0, 0], std: [1, 1, 1] } }, /run\.json normalization: "mean" must be three numbers/],
    [{ ...GOOD, normalization: { mean: [0, 0, 0], std: [1, 0, 1] } }, /run\.json normalization: "std" must be three positive numbers/],
    [{ ...GOOD, kind: 'teacher', distilled: true }, /"distilled" must be false for a teacher run/],
    [[1, 2], /run\.json: must hold a JSON object/],
    [{ ...GOOD, preprocessing: 'plain' }, /run\.json: "preprocessing" must be an object/],
    [withTransform({ kind: 'center' }), /run\.json: "preprocessing\.transform\.kind" must be "plain" or "eval", got "center"/],
    [withTransform({ size: 0 }), /"preprocessing\.transform\.size" must be a positive integer, got 0/],
    [withTransform({ kind: 'eval' }), /"preprocessing\.transform\.cropPct" must be a number in \(0, 1\], got nothing/],
    [withTransform({ kind: 'eval', cropPct: 1.5 }), /"preprocessing\.transform\.cropPct" must be a number in \(0, 1\], got 1\.5/],
    [withTransform({ normalization: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } }), /"preprocessing\.transform\.normalization" must be the run's "normalization"/],
    [withTransform({ normalization: { mean: [0, 0, 0], std: [1, 0, 1] } }), /"preprocessing\.transform\.normalization\.std" must be three positive numbers/],
    [{ ...GOOD, preprocessing: { ...GOOD.preprocessing, interpolation: 'bilinear' } }, /"preprocessing\.interpolation" must be "bicubic", got "bilinear"/],
    [{ ...GOOD, preprocessing: { ...GOOD.preprocessing, input: { colour: 'rgb', size: 28, pad: 2 } } }, /"preprocessing\.input\.colour" must be "grey"/],
    [{ ...GOOD, preprocessing: { ...GOOD.preprocessing, input: { colour: 'grey', size: 28, pad: -1 } } }, /"preprocessing\.input\.pad" must be a non-negative integer, got -1/],
  ])('rejects a bad field (%#)', (json, message) => {
    expect(() => readRunInfo(runDir(json))).toThrow(message);
  });

  it('a hostile run.json: a FIFO or directory is refused at once; huge or 100k-deep values give a bounded message', () => {
    const fifo = join(root, 'fifo-run');
    mkdirSync(fifo);
    execFileSync('mkfifo', [join(fifo, 'run.json')]);
    // No writer ever opens this FIFO: reading it would block for good.
    expect(() => readRunInfo(fifo)).toThrow(`${join(fifo, 'run.json')}: is not a regular file`);
    const dirRun = join(root, 'dir-run');
    mkdirSync(join(dirRun, 'run.json'), { recursive: true });
    expect(() => readRunInfo(dirRun)).toThrow(`${join(dirRun, 'run.json')}: is not a regular file`);
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    for (const json of [`{"format":${deep}}`, `{"format":"${'A'.repeat(1_000_000)}"}`, JSON.stringify({ ...GOOD, model: 7, kind: 'x'.repeat(1_000_000) })]) {
      const err = (() => {
        try {
          readRunInfo(runDir(json));
        } catch (e) {
          return e as Error;
        }
      })();
      expect(err).toBeInstanceOf(DeitError);
      expect(err!.message.length).toBeLessThan(600);
    }
  });

  it('round-trips what writeRunInfo writes, preprocessing included', () => {
    const dir = join(root, `run${n++}`);
    mkdirSync(dir);
    const eval224 = { ...GOOD, imgSize: 224, data: { data: '/data/imagenet', dataSet: 'imagefolder' as const, seed: 0 } };
    const description = { ...eval224, preprocessing: { transform: { kind: 'eval' as const, size: 224, cropPct: 0.9, normalization: GOOD.normalization }, interpolation: 'bicubic' as const } };
    writeRunInfo(dir, description);
    expect(readRunInfo(dir)).toEqual({ dir, ...description, format: undefined });
  });

  it('derives the preprocessing of an older run.json from its data (MNIST digits: grey, 28 px, its padding)', () => {
    const { preprocessing: _, ...old } = GOOD;
    const mnist = readRunInfo(runDir({ ...old, data: { ...old.data, pad: 3 }, imgSize: 34 }));
    expect(mnist.preprocessing).toEqual({
      transform: { kind: 'plain', size: 34, normalization: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } },
      interpolation: 'bicubic',
      input: { colour: 'grey', size: 28, pad: 3 },
    });
    // An ImageFolder run: deit's eval resize + centre crop at 0.875, no image-file step.
    const folder = readRunInfo(runDir({ ...old, imgSize: 64, data: { data: '/data/pets', dataSet: 'imagefolder', seed: 1 } }));
    expect(folder.preprocessing).toEqual({ transform: { kind: 'eval', size: 64, cropPct: 0.875, normalization: old.normalization }, interpolation: 'bicubic' });
    const cifar = readRunInfo(runDir({ ...old, data: { data: '/data/c10', dataSet: 'cifar10', seed: 1 } }));
    expect(cifar.preprocessing).toEqual({ transform: { kind: 'plain', size: 32, normalization: old.normalization }, interpolation: 'bicubic' });
  });

  it('runFile names a missing file of the run', () => {
    const dir = runDir(GOOD);
    const info = readRunInfo(dir);
    expect(runFile(info, 'run.json')).toBe(join(dir, 'run.json'));
    expect(() => runFile(info, 'model.safetensors')).toThrow(`${join(dir, 'model.safetensors')}: missing from the run directory`);
  });
});
