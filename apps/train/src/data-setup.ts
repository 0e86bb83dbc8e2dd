import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, IMAGENET_NORMALIZATION, type Normalization } from '@deitjs/core';
import { DataLoader, type DatasetSpec, type TransformSpec } from '@deitjs/data';
import type { RunDataInfo } from 'deit-eval';
import type { TrainOptions } from './options.js';

/** How the data of a run was read: recorded in `run.json` so that deit-eval rebuilds the same test set. */
export type DataInfo = RunDataInfo;

/** The loaders of a run. */
export interface RunData {
  /** Training batches (augmented, shuffled, last partial batch dropped). */
  train: DataLoader;
  /** Evaluation batches (eval transform, in order). */
  eval: DataLoader;
  /** Number of classes. */
  numClasses: number;
  /** What was read. */
  info: DataInfo;
  /** The input normalisation (ImageNet's, as DeiT). */
  normalization: Normalization;
}

function detectKind(options: TrainOptions): DataInfo['dataSet'] {
  if (options.dataSet !== 'auto') return options.dataSet as DataInfo['dataSet'];
  if (options.data === 'mnist') return 'mnist';
  if (!existsSync(options.data)) throw new ConfigError('--data', `${options.data} does not exist (give an ImageFolder root, a CIFAR folder or 'mnist')`);
  if (!statSync(options.data).isDirectory()) throw new ConfigError('--data', `${options.data} is not a folder`);
  const bins = readdirSync(options.data).filter((f) => f.endsWith('.bin'));
  if (bins.includes('train.bin')) return 'cifar100';
  if (bins.some((f) => /^data_batch_\d\.bin$/.test(f))) return 'cifar10';
  return 'imagefolder';
}

function imageFolderSplit(root: string, names: string[]): string {
  for (const n of names) {
    const p = join(root, n);
    if (existsSync(p) && statSync(p).isDirectory()) return p;
  }
  throw new ConfigError('--data', `${root} has no ${names.join(' or ')} folder (an ImageFolder root holds train/ and val/ class folders)`);
}

/** Builds the training and evaluation loaders a run's options describe. */
export function buildRunData(options: TrainOptions): RunData {
  const kind = detectKind(options);
  const normalization = IMAGENET_NORMALIZATION;
  let trainSet: DatasetSpec;
  let evalSet: DatasetSpec;
  let trainTransform: TransformSpec;
  let evalTransform: TransformSpec;
  const info: DataInfo = { data: options.data, dataSet: kind, seed: options.seed };
  if (kind === 'mnist') {
    // 28×28 digits zero-padded to 32×32 (mnist-effect.md), resized only when another input size is asked for.
    const pad = 2;
    const size = options.inputSize === 32 ? undefined : options.inputSize;
    const split = { trainPerClass: options.trainPerClass, testPerClass: options.testPerClass, seed: options.seed, pad, size };
    trainSet = { kind: 'mnist', split: 'train', ...split };
    evalSet = { kind: 'mnist', split: 'test', ...split };
    Object.assign(info, { trainPerClass: options.trainPerClass, testPerClass: options.testPerClass, pad });
    trainTransform = deitOrLight(options, true);
    evalTransform = { kind: 'plain', size: options.inputSize };
  } else if (kind === 'imagefolder') {
    trainSet = { kind: 'image-folder', root: imageFolderSplit(options.data, ['train']) };
    evalSet = { kind: 'image-folder', root: imageFolderSplit(options.data, ['val', 'test', 'validation']) };
    trainTransform = deitOrLight(options, false);
    evalTransform = { kind: 'eval', size: options.inputSize, cropPct: options.evalCropRatio };
  } else {
    trainSet = { kind: 'cifar', variant: kind, root: options.data, split: 'train' };
    evalSet = { kind: 'cifar', variant: kind, root: options.data, split: 'test' };
    trainTransform = deitOrLight(options, false);
    evalTransform = { kind: 'plain', size: options.inputSize };
  }
  const mixupOn = options.mixup > 0 || options.cutmix > 0;
  const train = new DataLoader({
    dataset: trainSet,
    transform: trainTransform,
    batchSize: options.batchSize,
    seed: options.seed,
    shuffle: true,
    dropLast: true,
    repeatedAugment: options.repeatedAug,
    numWorkers: options.numWorkers,
    mixup: mixupOn
      ? {
          mixupAlpha: options.mixup,
          cutmixAlpha: options.cutmix,
          prob: options.mixupProb,
          switchProb: options.mixupSwitchProb,
          labelSmoothing: options.smoothing,
        }
      : undefined,
  });
  const evalLoader = new DataLoader({
    dataset: evalSet,
    transform: evalTransform,
    batchSize: Math.max(1, Math.floor(options.batchSize * 1.5)),
    seed: options.seed,
    shuffle: false,
    dropLast: false,
    numWorkers: options.numWorkers,
  });
  const numClasses = options.numClasses > 0 ? options.numClasses : train.dataset.classes.length;
  if (train.dataset.classes.length > numClasses) {
    throw new ConfigError('--num-classes', `${numClasses} is fewer than the ${train.dataset.classes.length} classes of ${options.data}`);
  }
  return { train, eval: evalLoader, numClasses, info, normalization };
}

/** The training transform: deit's (RandomResizedCrop + RandAugment + erasing, or 3-Augment), or light shifts (MNIST). */
function deitOrLight(options: TrainOptions, smallImages: boolean): TransformSpec {
  if (options.threeAugment) return { kind: 'three-augment', size: options.inputSize, colorJitter: options.colorJitter };
  const strong = options.aa !== 'none' || options.reprob > 0;
  if (smallImages && !strong) return { kind: 'light', size: options.inputSize, shift: options.shift };
  if (!strong && options.shift > 0) return { kind: 'light', size: options.inputSize, shift: options.shift };
  return {
    kind: 'deit-train',
    size: options.inputSize,
    autoAugment: options.aa === 'none' ? null : options.aa,
    colorJitter: options.colorJitter,
    reprob: options.reprob,
    hflip: smallImages ? 0 : 0.5,
  };
}
