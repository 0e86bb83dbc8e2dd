import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@deitjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataset } from './dataset-spec.js';
import { MNIST_DEFAULTS, type ResolveDatasetOptions, detectDataSetKind, resolveDataset } from './resolve-dataset.js';

let dir: string;

/** A folder holding the given (empty) sub-folders and files. */
function tree(name: string, folders: string[], files: string[] = []): string {
  const root = join(dir, name);
  mkdirSync(root, { recursive: true });
  for (const f of folders) mkdirSync(join(root, f), { recursive: true });
  for (const f of files) writeFileSync(join(root, f), Buffer.alloc(3073));
  return root;
}

/** Asserts that resolving `o` throws a ConfigError whose message (`<option>: ...`) matches `message`. */
function refuses(o: ResolveDatasetOptions, message: RegExp): void {
  expect(() => resolveDataset(o)).toThrow(ConfigError);
  expect(() => resolveDataset(o)).toThrow(message);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'deitjs-resolve-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveDataset: MNIST', () => {
  it('fills the split from MNIST_DEFAULTS and describes it', () => {
    const r = resolveDataset({ data: 'mnist', split: 'test' });
    expect(r.kind).toBe('mnist');
    expect(r.mnist).toEqual({ trainPerClass: 100, testPerClass: 200, seed: 0, pad: 2 });
    expect(r.mnist).toEqual(MNIST_DEFAULTS);
    expect(r.spec).toEqual({ kind: 'mnist', split: 'test', trainPerClass: 100, testPerClass: 200, seed: 0, pad: 2 });
    expect(r.root).toBeUndefined();
    expect(r.description).toBe('mnist test (seed 0, 200 per class)');
  });

  it('takes given split parameters, and resizes only when the input size is not the padded size', () => {
    const r = resolveDataset({ data: 'mnist', split: 'train', mnist: { trainPerClass: 7, seed: 3, testPerClass: undefined }, imgSize: 32 });
    expect(r.spec).toEqual({ kind: 'mnist', split: 'train', trainPerClass: 7, testPerClass: 200, seed: 3, pad: 2 });
    expect(r.description).toBe('mnist train (seed 3, 7 per class)');
    expect(resolveDataset({ data: 'mnist', split: 'train', imgSize: 28, mnist: { pad: 0 } }).spec).not.toHaveProperty('size');
    expect(resolveDataset({ data: 'mnist', split: 'train', imgSize: 48 }).spec).toMatchObject({ size: 48, pad: 2 });
  });

  it('is MNIST when the data set is given as mnist, whatever --data says', () => {
    expect(resolveDataset({ data: join(dir, 'nowhere'), split: 'test', dataSet: 'mnist' }).kind).toBe('mnist');
  });
});

describe('resolveDataset: ImageFolder', () => {
  it('reads train/ for training and the first of val/, test/, validation/ for evaluation', () => {
    const root = tree('full', ['train/cat', 'val/cat', 'test/cat', 'validation/cat']);
    expect(resolveDataset({ data: root, split: 'train' })).toMatchObject({
      kind: 'imagefolder',
      spec: { kind: 'image-folder', root: join(root, 'train') },
      root: join(root, 'train'),
      description: `${join(root, 'train')} (ImageFolder)`,
    });
    expect(resolveDataset({ data: root, split: 'test' }).root).toBe(join(root, 'val'));
    expect(resolveDataset({ data: tree('test-only', ['train/a', 'test/a', 'validation/a']), split: 'test' }).root).toBe(join(dir, 'test-only', 'test'));
    expect(resolveDataset({ data: tree('validation', ['train/a', 'validation/a']), split: 'test' }).root).toBe(join(dir, 'validation', 'validation'));
  });

  it('evaluates a folder of class folders itself, but does not train on it', () => {
    const classes = tree('classes', ['cat', 'dog']);
    expect(resolveDataset({ data: classes, split: 'test' }).root).toBe(classes);
    refuses({ data: classes, split: 'train' }, /^--data: .*classes has no train folder/);
  });

  it('refuses a root with train/ but no held-out folder, and a folder without class folders', () => {
    const trainOnly = tree('train-only', ['train/cat']);
    expect(resolveDataset({ data: trainOnly, split: 'train' }).root).toBe(join(trainOnly, 'train'));
    refuses({ data: trainOnly, split: 'test' }, /train-only has train\/ but no val, test, validation folder/);
    const empty = tree('empty', [], ['notes.txt']);
    refuses({ data: empty, split: 'test' }, /empty has no class folders/);
  });
});

describe('resolveDataset: CIFAR', () => {
  const cifar10 = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'];

  it('recognises CIFAR-10 and CIFAR-100 by their batch files, for both splits', () => {
    const c10 = tree('c10', [], cifar10);
    const c100 = tree('c100', [], ['train.bin', 'test.bin']);
    expect(resolveDataset({ data: c10, split: 'train' })).toMatchObject({
      kind: 'cifar10',
      spec: { kind: 'cifar', variant: 'cifar10', root: c10, split: 'train' },
      description: `${c10} (cifar10 train)`,
    });
    expect(resolveDataset({ data: c10, split: 'test' }).spec).toEqual({ kind: 'cifar', variant: 'cifar10', root: c10, split: 'test' });
    expect(resolveDataset({ data: c100, split: 'train' }).spec).toEqual({ kind: 'cifar', variant: 'cifar100', root: c100, split: 'train' });
    expect(resolveDataset({ data: c100, split: 'test' }).description).toBe(`${c100} (cifar100 test)`);
    // The spec opens: 6 files of one CIFAR-10 record each, the five training batches read in order.
    expect(createDataset(resolveDataset({ data: c10, split: 'train' }).spec).length).toBe(5);
  });

  it('recognises a folder holding only the test files, evaluates it and refuses to train on it', () => {
    const t10 = tree('t10', [], ['test_batch.bin']);
    const t100 = tree('t100', [], ['test.bin']);
    expect(detectDataSetKind(t10)).toBe('cifar10');
    expect(detectDataSetKind(t100)).toBe('cifar100');
    expect(createDataset(resolveDataset({ data: t10, split: 'test' }).spec).length).toBe(1);
    expect(resolveDataset({ data: t100, split: 'test' }).kind).toBe('cifar100');
    refuses({ data: t10, split: 'train' }, /t10 has no data_batch_1\.bin, .*data_batch_5\.bin \(the cifar10 train split\)/);
    refuses({ data: t100, split: 'train' }, /t100 has no train\.bin \(the cifar100 train split\)/);
  });

  it('takes an explicit data set kind over detection', () => {
    const c10 = tree('c10-explicit', ['cat'], cifar10);
    expect(resolveDataset({ data: c10, split: 'test', dataSet: 'imagefolder' }).kind).toBe('imagefolder');
    refuses({ data: c10, split: 'test', dataSet: 'cifar100' }, /has no test\.bin/);
  });
});

describe('resolveDataset: errors', () => {
  it('names the option for a missing path and for a file', () => {
    refuses({ data: join(dir, 'no-such'), split: 'test' }, /^--data: .*no-such does not exist \(give an ImageFolder root, a CIFAR folder or 'mnist'\)$/);
    const file = join(dir, 'a-file.bin');
    writeFileSync(file, '');
    refuses({ data: file, split: 'train' }, /a-file\.bin is not a folder$/);
    refuses({ data: file, split: 'train', dataSet: 'cifar10' }, /is not a folder$/);
    refuses({ data: join(dir, 'x'), split: 'test', option: 'data' }, /^data: /);
  });
});
