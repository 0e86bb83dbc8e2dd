import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, IMAGENET_NORMALIZATION, type Normalization, writeFileAtomic } from '@deitjs/core';
import type { DeiT, DeiTConfig } from '@deitjs/models';
import type { Interpolation } from '@deitjs/teachers';
import { exportOnnx } from './export.js';

/** The eval preprocessing written to `preprocessor_config.json` (timm's `pretrained_cfg` fields). */
export interface Preprocessing extends Normalization {
  /** Shorter side resized to ⌊size / cropPct⌋, then a centre crop of the model's size (1 = resize only). */
  cropPct: number;
  /** Resampling of the resize. */
  interpolation: Interpolation;
}

/** Options of {@link exportTransformersJs}. */
export interface TransformersJsOptions {
  /** Class names by index (`id2label`); default `LABEL_0`, `LABEL_1`, … as Hugging Face names unnamed classes. */
  labels?: readonly string[];
  /** Eval preprocessing (default: crop ratio 1, bicubic, ImageNet mean and std). */
  preprocessing?: Partial<Preprocessing>;
}

// PIL's resampling codes, which Hugging Face image processors take as `resample`.
const PIL_RESAMPLE: Record<Interpolation, number> = { bilinear: 2, bicubic: 3 };

/** Hugging Face `DeiTConfig` fields of a DeiT (what transformers.js reads from `config.json`). */
export function deitHfConfig(config: DeiTConfig, labels: readonly string[]): Record<string, unknown> {
  const id2label = Object.fromEntries(labels.map((l, i) => [String(i), l]));
  const label2id = Object.fromEntries(labels.map((l, i) => [l, i]));
  return {
    architectures: [config.distilled ? 'DeiTForImageClassificationWithTeacher' : 'DeiTForImageClassification'],
    model_type: 'deit',
    hidden_size: config.embedDim,
    num_hidden_layers: config.depth,
    num_attention_heads: config.numHeads,
    intermediate_size: Math.round(config.embedDim * (config.mlpRatio ?? 4)),
    hidden_act: 'gelu',
    hidden_dropout_prob: 0,
    attention_probs_dropout_prob: 0,
    layer_norm_eps: 1e-6,
    image_size: config.imgSize,
    patch_size: config.patchSize,
    num_channels: config.inChans ?? 3,
    qkv_bias: true,
    encoder_stride: config.patchSize,
    id2label,
    label2id,
  };
}

/** A `DeiTImageProcessor` config reproducing timm's eval transform: resize the shorter side, centre crop, normalise. */
export function deitPreprocessorConfig(imgSize: number, p: Preprocessing): Record<string, unknown> {
  if (!(p.cropPct > 0 && p.cropPct <= 1)) throw new ConfigError('cropPct', `must be in (0, 1], got ${p.cropPct}`);
  return {
    image_processor_type: 'DeiTImageProcessor',
    do_resize: true,
    size: { shortest_edge: Math.floor(imgSize / p.cropPct) },
    resample: PIL_RESAMPLE[p.interpolation],
    do_center_crop: true,
    crop_size: { height: imgSize, width: imgSize },
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: [...p.mean],
    image_std: [...p.std],
  };
}

/**
 * Writes a folder that transformers.js (`@huggingface/transformers`) loads as is, with `env.allowRemoteModels = false`:
 * `config.json` (`model_type: "deit"`, sizes, `id2label`), `preprocessor_config.json` (resize, crop, mean, std) and
 * `onnx/model.onnx` (input `pixel_values`, output `logits`). Each file is written atomically.
 */
export function exportTransformersJs(model: DeiT, dir: string, options: TransformersJsOptions = {}): void {
  const c = model.config;
  const labels = options.labels ?? Array.from({ length: c.numClasses }, (_, i) => `LABEL_${i}`);
  if (labels.length !== c.numClasses) throw new ConfigError('labels', `${labels.length} labels for a model with ${c.numClasses} classes`);
  const p: Preprocessing = { cropPct: 1, interpolation: 'bicubic', ...IMAGENET_NORMALIZATION, ...options.preprocessing };
  const preprocessor = deitPreprocessorConfig(c.imgSize, p);
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  exportOnnx(model, join(dir, 'onnx', 'model.onnx'));
  writeFileAtomic(join(dir, 'config.json'), [`${JSON.stringify(deitHfConfig(c, labels), null, 2)}\n`]);
  writeFileAtomic(join(dir, 'preprocessor_config.json'), [`${JSON.stringify(preprocessor, null, 2)}\n`]);
}
