import { ConfigError } from '@deitjs/core';
import { modelInput } from './preprocess.js';
import type { WebRunConfig } from './run-config.js';

/** What the page reads of an exported ONNX folder's config.json and preprocessor_config.json. */
export interface OnnxPreprocessing {
  /** Class names by index (config.json `id2label`). */
  labels: string[];
  /** Side the image is resized to (`size.shortest_edge`, or `size.height` of a square `size`). */
  resize: number;
  /** Side of the centre crop fed to the model (`crop_size`, or `resize` without `do_center_crop`). */
  crop: number;
  /** Per-channel mean and std applied after the rescale (0 and 1 when `do_normalize` is false). */
  mean: number[];
  std: number[];
  /** Factor from 0–255 pixels to the values normalised (`rescale_factor`, 1 when `do_rescale` is false). */
  rescale: number;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const posInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;
const nums = (v: unknown): v is number[] => Array.isArray(v) && v.length >= 1 && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/**
 * Reads the two JSON files `deit-eval export --format onnx` writes beside `onnx/model.onnx` (a ConfigError names the
 * file and key at fault). Hugging Face image processors take `size` as `{shortest_edge}` or `{height, width}`; the
 * page's digits are square, so either gives one side.
 */
export function parseOnnxConfig(config: unknown, preprocessor: unknown, source: string): OnnxPreprocessing {
  const c = obj(config);
  const p = obj(preprocessor);
  const fail = (file: string, key: string, what: string, got: unknown): never => {
    throw new ConfigError(`${source}/${file} ${key}`, `must be ${what}, got ${JSON.stringify(got) ?? 'nothing'}`);
  };
  const id2label = obj(c.id2label);
  const n = Object.keys(id2label).length;
  if (n === 0) fail('config.json', 'id2label', 'an object of class names by index', c.id2label);
  const labels = Array.from({ length: n }, (_, i) => {
    const l = id2label[String(i)];
    return typeof l === 'string' ? l : fail('config.json', `id2label["${i}"]`, 'a string (indices 0…n-1)', l);
  });
  const size = obj(p.size);
  const side = size.shortest_edge ?? (size.height === size.width ? size.height : undefined);
  const resize = posInt(side) ? side : fail('preprocessor_config.json', 'size', '{shortest_edge: n} or a square {height, width}', p.size);
  const cropSize = obj(p.crop_size);
  const crop =
    p.do_center_crop === false ? resize : posInt(cropSize.height) && cropSize.height === cropSize.width ? cropSize.height : fail('preprocessor_config.json', 'crop_size', 'a square {height, width}', p.crop_size);
  if (crop > resize) fail('preprocessor_config.json', 'crop_size', `at most the resized side ${resize}`, p.crop_size);
  const normalize = p.do_normalize !== false;
  if (normalize && !nums(p.image_mean)) fail('preprocessor_config.json', 'image_mean', 'an array of numbers', p.image_mean);
  if (normalize && (!nums(p.image_std) || p.image_std.some((s) => s <= 0))) fail('preprocessor_config.json', 'image_std', 'an array of positive numbers', p.image_std);
  const rescale = p.do_rescale === false ? 1 : typeof p.rescale_factor === 'number' && p.rescale_factor > 0 ? p.rescale_factor : fail('preprocessor_config.json', 'rescale_factor', 'a positive number', p.rescale_factor);
  return { labels, resize, crop, mean: normalize ? (p.image_mean as number[]) : [0], std: normalize ? (p.image_std as number[]) : [1], rescale };
}

/**
 * A 28×28 digit → the ONNX model's `pixel_values` `[1, channels, crop, crop]` (NCHW). The digit is first made the image
 * the model was trained on: zero-padded 2 px to 32 px, as deit-train prepares MNIST (the exported processor config
 * cannot say so: `deit-eval export` warns that it only resizes and normalises). Then the processor's steps: resize to
 * `resize` (the page's bilinear, as for run.json models), centre crop, rescale, normalise per channel.
 */
export function onnxInput(digit: Uint8Array, prep: OnnxPreprocessing, channels: number): Float32Array {
  // modelInput normalises v/255 by (mean, std); (v·r − m)/s is that with mean m/(255r) and std s/(255r).
  const k = 255 * prep.rescale;
  const run: WebRunConfig = {
    kind: 'student',
    model: 'onnx',
    numClasses: prep.labels.length,
    imgSize: prep.resize,
    distilled: false,
    normalization: { mean: prep.mean.map((m) => m / k), std: prep.std.map((s) => s / k) },
    digit: { size: 28, pad: 2 },
  };
  const hwc = modelInput(digit, run, channels);
  const { resize, crop } = prep;
  const off = Math.floor((resize - crop) / 2);
  const out = new Float32Array(channels * crop * crop);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < crop; y++) {
      for (let x = 0; x < crop; x++) out[(c * crop + y) * crop + x] = hwc[((y + off) * resize + x + off) * channels + c]!;
    }
  }
  return out;
}
