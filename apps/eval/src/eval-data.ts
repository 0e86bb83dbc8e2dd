import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type Normalization } from '@deitjs/core';
import { type Dataset, DataLoader, type DatasetSpec, type TransformSpec, createDataset } from '@deitjs/data';
import type { RunDataInfo } from './run-info.js';

/** deit-train's MNIST split when no run says otherwise (its option defaults). */
export const MNIST_DEFAULTS = { trainPerClass: 100, testPerClass: 200, seed: 0, pad: 2 } as const;

/** What to evaluate on. */
export interface EvalDataOptions {
  /** `mnist`, an ImageFolder root (with train/ and val/, or class folders directly) or a CIFAR folder of *.bin. */
  data: string;
  /** Which split. */
  split: 'train' | 'test';
  /** Square input size of the model. */
  imgSize: number;
  /** The model's input normalisation. */
  normalization: Normalization;
  /** Images per batch. */
  batchSize: number;
  /** The data of the run being evaluated: its MNIST split parameters and data-set kind are reused. */
  run?: RunDataInfo;
  /** Seed of the MNIST split when there is no run. */
  seed?: number;
  /** Evaluate at most this many images, spread evenly over the (class-ordered) data set. */
  limit?: number;
  /** ImageFolder eval resize: shorter side = size / cropPct, then a centre crop (default 0.875). */
  cropPct?: number;
}

/** A loader over the chosen split and how it was built. */
export interface EvalData {
  /** Batches in data-set order (no shuffling, no augmentation). */
  loader: DataLoader;
  /** The data set spec (where the images come from). */
  dataset: DatasetSpec;
  /** The per-image transform. */
  transform: TransformSpec;
  /** Classes of the data set. */
  numClasses: number;
  /** Images evaluated. */
  count: number;
  /** One line naming the data, e.g. `mnist test (seed 0, 200 per class)`. */
  description: string;
}

function detectKind(path: string): RunDataInfo['dataSet'] {
  if (!existsSync(path)) throw new ConfigError('--data', `${path} does not exist (give an ImageFolder root, a CIFAR folder or 'mnist')`);
  if (!statSync(path).isDirectory()) throw new ConfigError('--data', `${path} is not a folder`);
  const bins = readdirSync(path).filter((f) => f.endsWith('.bin'));
  if (bins.includes('train.bin') || bins.includes('test.bin')) return 'cifar100';
  if (bins.some((f) => /^(data|test)_batch(_\d)?\.bin$/.test(f))) return 'cifar10';
  return 'imagefolder';
}

function imageFolderRoot(root: string, split: 'train' | 'test'): string {
  const names = split === 'train' ? ['train'] : ['val', 'test', 'validation'];
  for (const n of names) {
    const p = join(root, n);
    if (existsSync(p) && statSync(p).isDirectory()) return p;
  }
  // No split folders: the folder holds the class folders itself (e.g. --data imagenet/val).
  return root;
}

/** Every `step`-th sample, so that a limit still covers every class of a class-ordered data set. */
function spread(ds: Dataset, limit: number): Dataset {
  if (limit >= ds.length) return ds;
  const pick = Int32Array.from({ length: limit }, (_, i) => Math.floor((i * ds.length) / limit));
  return { length: limit, classes: ds.classes, get: (i) => ds.get(pick[i]!), source: (i) => ds.source(pick[i]!) };
}

/** The evaluation loader of a split: the run's exact test set for MNIST, the eval transform of deit-train otherwise. */
export function evalData(o: EvalDataOptions): EvalData {
  const mnist = o.data === 'mnist';
  const kind: RunDataInfo['dataSet'] = mnist ? 'mnist' : o.run !== undefined && o.run.data === o.data ? o.run.dataSet : detectKind(o.data);
  if (kind !== 'mnist' && !existsSync(o.data)) throw new ConfigError('--data', `${o.data} does not exist`);
  let dataset: DatasetSpec;
  let transform: TransformSpec;
  let description: string;
  if (kind === 'mnist') {
    const r = o.run?.dataSet === 'mnist' ? o.run : undefined;
    const split = {
      trainPerClass: r?.trainPerClass ?? MNIST_DEFAULTS.trainPerClass,
      testPerClass: r?.testPerClass ?? MNIST_DEFAULTS.testPerClass,
      seed: r?.seed ?? o.seed ?? MNIST_DEFAULTS.seed,
      pad: r?.pad ?? MNIST_DEFAULTS.pad,
    };
    // As deit-train: 28 px digits padded, resized only when the model wants another size than the padded one.
    const padded = 28 + 2 * split.pad;
    dataset = { kind: 'mnist', split: o.split, ...split, ...(o.imgSize === padded ? {} : { size: o.imgSize }) };
    transform = { kind: 'plain', size: o.imgSize, normalization: o.normalization };
    const perClass = o.split === 'train' ? split.trainPerClass : split.testPerClass;
    description = `mnist ${o.split} (seed ${split.seed}, ${perClass} per class)`;
  } else if (kind === 'imagefolder') {
    const root = imageFolderRoot(o.data, o.split);
    dataset = { kind: 'image-folder', root };
    transform = { kind: 'eval', size: o.imgSize, cropPct: o.cropPct ?? 0.875, normalization: o.normalization };
    description = `${root} (ImageFolder)`;
  } else {
    dataset = { kind: 'cifar', variant: kind, root: o.data, split: o.split };
    transform = { kind: 'plain', size: o.imgSize, normalization: o.normalization };
    description = `${o.data} (${kind} ${o.split})`;
  }
  const full = createDataset(dataset);
  const ds = o.limit === undefined ? full : spread(full, o.limit);
  const loader = new DataLoader({ dataset: ds, transform, batchSize: o.batchSize, shuffle: false, dropLast: false });
  if (ds.length < full.length) description += `, ${ds.length} of ${full.length} images`;
  return { loader, dataset, transform, numClasses: full.classes.length, count: ds.length, description };
}
