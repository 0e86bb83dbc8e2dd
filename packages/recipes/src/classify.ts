import { existsSync } from 'node:fs';
import { ConfigError, IMAGENET_NORMALIZATION, tf } from '@deitjs/core';
import { type Uint8Image, decodeImage } from '@deitjs/data';
import { type Classification, type DeiT, type DownloadOptions, IMAGENET_CLASSES, type Pretrained, classifyTensor, createModel, resolveModel } from '@deitjs/models';
import { DEFAULT_EVAL_CROP_PCT, type RunPreprocessing, readRunInfo } from '@deitjs/run';
import type { ConvNet } from '@deitjs/teachers';
import { imagePreprocessor } from './image-input.js';
import { loadModel, namedModelChoice, runModelChoice } from './load-model.js';
import { runClassNames } from './onnx-export.js';

/** One image {@link classify} takes: an image file's path (Node) or a decoded 8-bit RGB image. */
export type ClassifyInput = string | Uint8Image;

/** Options of {@link classify}. */
export interface ClassifyOptions {
  /**
   * A registered name (its pretrained weights are fetched, see `pretrained`), a deit-train run directory (its
   * model, classes and preprocessing), or a loaded DeiT/ConvNet (give `name` or `preprocessing` for its input).
   */
  model: string | DeiT | ConvNet;
  /** Classes kept per image (default 5). */
  topK?: number;
  /** Class names (default: the run's classes, or ImageNet's for a 1000-class registered model). */
  labels?: readonly string[];
  /** Which weights a registered name loads (default `true`: timm's); ignored when `weights` is given. */
  pretrained?: Pretrained;
  /** A checkpoint file for a registered name instead of pretrained weights. */
  weights?: string;
  /** How pretrained weights are downloaded and cached. */
  download?: DownloadOptions;
  /** Registered name of a loaded `model`, for its input size, normalisation and crop (timm's pretrained cfg). */
  name?: string;
  /** How images are brought to a loaded model's input (default from `name`, else ImageNet's at the model's size). */
  preprocessing?: RunPreprocessing;
  /** Receives notices (e.g. re-initialised heads); default `console.warn`. */
  warn?: (message: string) => void;
}

interface Resolved {
  model: DeiT | ConvNet;
  preprocessing: RunPreprocessing;
  labels: readonly string[] | undefined;
  owned: boolean;
}

// The registered name's eval preprocessing as timm's pretrained cfg gives it (size, mean/std, crop, bicubic).
function namedPreprocessing(name: string): RunPreprocessing {
  const cfg = resolveModel(name).pretrainedCfg;
  return namedModelChoice(name, '', 'model', undefined, undefined, cfg.cropPct).preprocessing;
}

const imagenetLabels = (model: DeiT | ConvNet): readonly string[] | undefined => (model.numClasses === 1000 ? IMAGENET_CLASSES : undefined);

async function resolveClassifier(o: ClassifyOptions): Promise<Resolved> {
  if (typeof o.model !== 'string') {
    const size = 'config' in o.model ? o.model.config.imgSize : 224;
    const normalization = { mean: [...IMAGENET_NORMALIZATION.mean], std: [...IMAGENET_NORMALIZATION.std] } as typeof IMAGENET_NORMALIZATION;
    const fallback: RunPreprocessing = { transform: { kind: 'eval', size, cropPct: DEFAULT_EVAL_CROP_PCT, normalization }, interpolation: 'bicubic' };
    const preprocessing = o.preprocessing ?? (o.name !== undefined ? namedPreprocessing(o.name) : fallback);
    return { model: o.model, preprocessing, labels: o.labels ?? imagenetLabels(o.model), owned: false };
  }
  const warn = o.warn ?? console.warn;
  let unknownName: unknown;
  try {
    resolveModel(o.model, 'model');
  } catch (err) {
    unknownName = err;
  }
  if (unknownName !== undefined) {
    // Neither a registered name nor an existing path: the registry's error, with the nearest names.
    if (!existsSync(o.model)) throw unknownName;
    // Not a registered name: a run directory (readRunInfo names what is wrong with it).
    const run = readRunInfo(o.model);
    const loaded = loadModel(runModelChoice(run), warn);
    return { model: loaded.model, preprocessing: loaded.preprocessing, labels: o.labels ?? runClassNames(run), owned: true };
  }
  const name = o.model;
  const model =
    o.weights !== undefined
      ? createModel(name, { weights: o.weights, warn })
      : await createModel(name, { pretrained: o.pretrained ?? true, download: o.download, warn });
  return { model, preprocessing: namedPreprocessing(name), labels: o.labels ?? imagenetLabels(model), owned: true };
}

/**
 * One-call classification: an image file (Node), a decoded image, or a list of them, by a registered model with
 * pretrained weights (fetched and cached on first use), a deit-train run directory or a loaded model. Returns each
 * image's top-k classes with labels and softmax scores, per head for a distilled DeiT. A tensor input is a batch of
 * images already preprocessed for the model (NHWC, normalised), one result per image.
 *
 * ```ts
 * const { top } = await classify('cat.jpg', { model: 'deit_small_distilled_patch16_224' });
 * ```
 */
export async function classify(input: ClassifyInput, options: ClassifyOptions): Promise<Classification>;
export async function classify(input: ClassifyInput[] | tf.Tensor4D, options: ClassifyOptions): Promise<Classification[]>;
export async function classify(input: ClassifyInput | ClassifyInput[] | tf.Tensor4D, options: ClassifyOptions): Promise<Classification | Classification[]> {
  const inputs = input instanceof tf.Tensor ? [] : Array.isArray(input) ? input : [input];
  if (!(input instanceof tf.Tensor) && inputs.length === 0) throw new ConfigError('input', 'no images to classify');
  const r = await resolveClassifier(options);
  try {
    if (input instanceof tf.Tensor) return classifyTensor(r.model, input, { topK: options.topK, labels: r.labels });
    const preprocess = imagePreprocessor(r.preprocessing);
    const size = r.preprocessing.transform.size;
    // A one-channel run (grey MNIST) takes one channel: its eval transform says how many.
    const c = r.preprocessing.transform.channels ?? 3;
    const pixels = new Float32Array(inputs.length * size * size * c);
    for (const [i, item] of inputs.entries()) {
      const image = typeof item === 'string' ? await decodeImage(item) : item;
      pixels.set(preprocess(image).data, i * size * size * c);
    }
    const batch = tf.tensor4d(pixels, [inputs.length, size, size, c]);
    try {
      const results = classifyTensor(r.model, batch, { topK: options.topK, labels: r.labels });
      return Array.isArray(input) ? results : results[0]!;
    } finally {
      batch.dispose();
    }
  } finally {
    if (r.owned) r.model.dispose();
  }
}
