import { DeitError, type Normalization, quote } from '@deitjs/core';
import { type Json, isCount, isObject, isPositiveInt, isTriple } from './json-checks.js';
import type { RunDataInfo } from './run-info.js';

/** A run's eval transform as @deitjs/data's `TransformSpec` reads it: `plain` (resize only) or `eval` (resize + centre crop). */
export type RunEvalTransform = (
  | { kind: 'plain'; size: number; normalization: Normalization }
  | { kind: 'eval'; size: number; cropPct: number; normalization: Normalization }
) & {
  /** 1 for a one-channel model (grey input, the first channel's mean/std); absent for three channels. */
  channels?: 1;
};

/**
 * How an image file becomes one of the run's data-set images before the eval transform, for data sets whose images
 * are not photos: MNIST digits are grey 28 px squares zero-padded on every side.
 */
export interface RunImageInput {
  /** The image is made grey (luminance), then expanded to three equal channels. */
  colour: 'grey';
  /** Square side the grey image is resized to (bicubic) when it differs: 28 for MNIST. */
  size: number;
  /** Zero padding added on every side after the resize. */
  pad: number;
}

/** The full eval preprocessing of a run (`preprocessing` in run.json): what deit-eval applies to its images. */
export interface RunPreprocessing {
  /** The eval transform of the run's test set. */
  transform: RunEvalTransform;
  /** Resampling of every resize (@deitjs/data resizes bicubic). */
  interpolation: 'bicubic';
  /** For MNIST runs: how an image file is brought to a data-set digit first. */
  input?: RunImageInput;
}

/** The eval crop fraction of the training runs (deit's 0.875) when a run does not record another. */
export const DEFAULT_EVAL_CROP_PCT = 0.875;

/** The zero padding of MNIST digits when a run does not record it (@deitjs/data's `MNIST_DEFAULTS.pad`). */
const MNIST_PAD = 2;

/** MNIST's digit side before padding. */
const MNIST_SIDE = 28;

/**
 * The eval preprocessing of a run's data: ImageFolder images resized and centre-cropped, CIFAR and MNIST images
 * resized only when they differ from `imgSize`, MNIST image files made grey 28 px digits padded as the run's.
 * A one-channel model (`inChans` 1) gets one grey channel. What deit-train records, and what a run.json without
 * `preprocessing` (older runs) is read as.
 */
export function runPreprocessing(data: RunDataInfo, imgSize: number, normalization: Normalization, cropPct = DEFAULT_EVAL_CROP_PCT, inChans = 3): RunPreprocessing {
  const norm: Normalization = { mean: [...normalization.mean], std: [...normalization.std] };
  const channels = inChans === 1 ? { channels: 1 as const } : {};
  const transform: RunEvalTransform =
    data.dataSet === 'imagefolder'
      ? { kind: 'eval', size: imgSize, cropPct, normalization: norm, ...channels }
      : { kind: 'plain', size: imgSize, normalization: norm, ...channels };
  if (data.dataSet !== 'mnist') return { transform, interpolation: 'bicubic' };
  return { transform, interpolation: 'bicubic', input: { colour: 'grey', size: MNIST_SIDE, pad: data.pad ?? MNIST_PAD } };
}

const isCrop = (v: unknown): v is number => typeof v === 'number' && v > 0 && v <= 1;

function check<T>(file: string, obj: Json, path: string, key: string, what: string, ok: (v: unknown) => v is T): T {
  const v = obj[key];
  if (!ok(v)) throw new DeitError('E_RUN', `${file}: "${path}${key}" must be ${what}, got ${v === undefined ? 'nothing' : quote(v)}`);
  return v;
}

/**
 * Validates run.json's `preprocessing` (`file` is named in errors, DeitError `E_RUN`); its normalisation must be the
 * run's `normalization`.
 */
export function parsePreprocessing(file: string, value: unknown, normalization: Normalization): RunPreprocessing {
  const p = 'preprocessing.';
  if (!isObject(value)) throw new DeitError('E_RUN', `${file}: "preprocessing" must be an object {transform, interpolation, input?}, got ${quote(value)}`);
  const t = check(file, value, p, 'transform', 'an object {kind, size, normalization}', isObject);
  const tp = `${p}transform.`;
  const kind = check(file, t, tp, 'kind', '"plain" or "eval"', (v): v is 'plain' | 'eval' => v === 'plain' || v === 'eval');
  const size = check(file, t, tp, 'size', 'a positive integer', isPositiveInt);
  const n = check(file, t, tp, 'normalization', 'an object {mean, std}', isObject);
  const norm: Normalization = {
    mean: check(file, n, `${tp}normalization.`, 'mean', 'three numbers', isTriple(false)),
    std: check(file, n, `${tp}normalization.`, 'std', 'three positive numbers', isTriple(true)),
  };
  const same = norm.mean.every((m, i) => m === normalization.mean[i]) && norm.std.every((s, i) => s === normalization.std[i]);
  if (!same) throw new DeitError('E_RUN', `${file}: "${tp}normalization" must be the run's "normalization" (${quote(normalization)}), got ${quote(norm)}`);
  const base: RunEvalTransform =
    kind === 'eval' ? { kind, size, cropPct: check(file, t, tp, 'cropPct', 'a number in (0, 1]', isCrop), normalization: norm } : { kind, size, normalization: norm };
  const transform: RunEvalTransform =
    t.channels === undefined ? base : { ...base, channels: check(file, t, tp, 'channels', '1 (or absent for three channels)', (v): v is 1 => v === 1) };
  const interpolation = check(file, value, p, 'interpolation', '"bicubic"', (v): v is 'bicubic' => v === 'bicubic');
  if (value.input === undefined) return { transform, interpolation };
  const i = check(file, value, p, 'input', 'an object {colour, size, pad}', isObject);
  const ip = `${p}input.`;
  const input: RunImageInput = {
    colour: check(file, i, ip, 'colour', '"grey"', (v): v is 'grey' => v === 'grey'),
    size: check(file, i, ip, 'size', 'a positive integer', isPositiveInt),
    pad: check(file, i, ip, 'pad', 'a non-negative integer', isCount),
  };
  return { transform, interpolation, input };
}
