import { ConfigError, type DataSetKind, type Normalization } from '@deitjs/core';
import { DataLoader, type InputChannels, MNIST_NORMALIZATION, type TransformSpec, checkChannels, resolveDataset } from '@deitjs/data';
import { resolveModel } from '@deitjs/models';
import { type RunDataInfo, type RunPreprocessing, runPreprocessing } from '@deitjs/run';
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
  /** The input normalisation: MNIST's for MNIST, else the model's from the registry's pretrained cfg. */
  normalization: Normalization;
  /** Input channels of the model and its images (`--in-chans`; 0 resolved: 1 for grey MNIST, 3 otherwise). */
  inChans: InputChannels;
  /** The full eval preprocessing (recorded in run.json; the eval loader applies its transform). */
  preprocessing: RunPreprocessing;
}

/** Builds the training and evaluation loaders a run's options describe. */
export function buildRunData(options: TrainOptions): RunData {
  // The model's normalisation from the registry (an unknown --model is the registry's ConfigError).
  const cfg = resolveModel(options.model, '--model').pretrainedCfg;
  let normalization: Normalization = { mean: [...cfg.mean], std: [...cfg.std] };
  // One resolver for both apps: how --data is read, which folders are the splits, the MNIST split.
  const common = {
    data: options.data,
    dataSet: options.dataSet as DataSetKind | 'auto',
    mnist: { trainPerClass: options.trainPerClass, testPerClass: options.testPerClass, seed: options.seed },
    imgSize: options.inputSize,
  };
  const trainSet = resolveDataset({ ...common, split: 'train' });
  const evalSet = resolveDataset({ ...common, split: 'test' });
  const kind = trainSet.kind;
  // Grey digits train as one channel with MNIST's own statistics (three copies of the grey channel cost the students
  // 2.5–4 points in the PyTorch reference: AdamW moves each copied patch-embedding weight a full step).
  if (kind === 'mnist') normalization = { mean: [...MNIST_NORMALIZATION.mean], std: [...MNIST_NORMALIZATION.std] };
  const inChans = checkChannels(options.inChans === 0 ? (kind === 'mnist' ? 1 : 3) : options.inChans, '--in-chans');
  const channels = inChans === 1 ? { channels: 1 as const } : {};
  const info: DataInfo = { data: options.data, dataSet: kind, seed: options.seed };
  if (trainSet.mnist !== undefined) {
    // 28×28 digits zero-padded to 32×32 (mnist-effect.md), resized only when another input size is asked for.
    const { trainPerClass, testPerClass, pad } = trainSet.mnist;
    Object.assign(info, { trainPerClass, testPerClass, pad });
  }
  const trainTransform: TransformSpec = { ...deitOrLight(options, kind === 'mnist'), normalization, ...channels };
  // ImageFolder images come in any size (resize + centre crop); CIFAR and MNIST already have the input size.
  const preprocessing = runPreprocessing(info, options.inputSize, normalization, options.evalCropRatio, inChans);
  const evalTransform: TransformSpec = preprocessing.transform;
  const mixupOn = options.mixup > 0 || options.cutmix > 0;
  const train = new DataLoader({
    dataset: trainSet.spec,
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
    dataset: evalSet.spec,
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
  return { train, eval: evalLoader, numClasses, info, normalization, inChans, preprocessing };
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
