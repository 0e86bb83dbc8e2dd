import type { Normalization } from '@deitjs/core';
import { type Dataset, DataLoader, type DatasetSpec, type TransformSpec, createDataset, resolveDataset } from '@deitjs/data';
import type { RunDataInfo, RunPreprocessing } from '@deitjs/run';

/** What to evaluate on. */
export interface EvalDataOptions {
  /** `mnist`, an ImageFolder root (with train/ and val/, or class folders directly) or a CIFAR folder of *.bin (see `resolveDataset`). */
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
  /** The run's eval preprocessing (with `run`): its transform is applied to data of the run's kind. */
  preprocessing?: RunPreprocessing;
  /** Seed of the MNIST split when there is no run. */
  seed?: number;
  /** Evaluate at most this many images, spread evenly over the (class-ordered) data set. */
  limit?: number;
  /** ImageFolder eval resize: shorter side = size / cropPct, then a centre crop (default 0.875). */
  cropPct?: number;
  /** Input channels of the model (default 3; 1 gives grey images of one channel). */
  channels?: 1 | 3;
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

/** Every `step`-th sample, so that a limit still covers every class of a class-ordered data set. */
function spread(ds: Dataset, limit: number): Dataset {
  if (limit >= ds.length) return ds;
  const pick = Int32Array.from({ length: limit }, (_, i) => Math.floor((i * ds.length) / limit));
  return { length: limit, classes: ds.classes, get: (i) => ds.get(pick[i]!), source: (i) => ds.source(pick[i]!) };
}

/** The evaluation loader of a split: the run's exact test set for MNIST, the training runs' eval transform otherwise. */
export function evalData(o: EvalDataOptions): EvalData {
  // The run's data-set kind when it trained on this data; MNIST's split from the run, else the training defaults.
  const r = o.run?.dataSet === 'mnist' ? o.run : undefined;
  const resolved = resolveDataset({
    data: o.data,
    split: o.split,
    dataSet: o.run !== undefined && o.run.data === o.data ? o.run.dataSet : 'auto',
    mnist: { trainPerClass: r?.trainPerClass, testPerClass: r?.testPerClass, seed: r?.seed ?? o.seed, pad: r?.pad },
    imgSize: o.imgSize,
  });
  const dataset = resolved.spec;
  // The run's own eval transform on data of its kind; otherwise ImageFolder images come in any size (resize + centre
  // crop, as a training run's eval) and CIFAR and MNIST have the input size.
  const own = o.preprocessing !== undefined && o.run !== undefined && resolved.kind === o.run.dataSet ? o.preprocessing.transform : undefined;
  const channels = o.channels === 1 ? { channels: 1 as const } : {};
  const transform: TransformSpec =
    own ??
    (resolved.kind === 'imagefolder'
      ? { kind: 'eval', size: o.imgSize, cropPct: o.cropPct ?? 0.875, normalization: o.normalization, ...channels }
      : { kind: 'plain', size: o.imgSize, normalization: o.normalization, ...channels });
  let description = resolved.description;
  const full = createDataset(dataset);
  const ds = o.limit === undefined ? full : spread(full, o.limit);
  const loader = new DataLoader({ dataset: ds, transform, batchSize: o.batchSize, shuffle: false, dropLast: false });
  if (ds.length < full.length) description += `, ${ds.length} of ${full.length} images`;
  return { loader, dataset, transform, numClasses: full.classes.length, count: ds.length, description };
}
