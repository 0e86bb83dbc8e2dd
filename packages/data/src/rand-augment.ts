import { ConfigError, type Rng } from '@deitjs/core';
import { affineTransform, type Rgb, rotate } from './affine.js';
import { toUint8Image, type HostImage, type Uint8Image } from './image.js';
import {
  adjustBrightness,
  adjustContrast,
  adjustSaturation,
  adjustSharpness,
  autoContrast,
  equalize,
  invert,
  posterize,
  solarize,
  solarizeAdd,
} from './pil-ops.js';

/** Settings of timm's RandAugment (what an option string like `rand-m9-mstd0.5-inc1` encodes). */
export interface RandAugmentConfig {
  /** Magnitude m on the 0–10 scale. */
  magnitude: number;
  /** Ops applied per image (`n`, default 2). */
  numLayers: number;
  /** Std of the per-call Gaussian noise on the magnitude (`mstd`; above 100 means Infinity: uniform in [0, m]). */
  magnitudeStd: number;
  /** Upper clip of the noisy magnitude (`mmax`, default 10). */
  magnitudeMax: number;
  /** Use the "increasing" op set (`inc1`), where a larger magnitude always means a stronger op. */
  increasing: boolean;
  /** Probability that each chosen op fires (`p`, default 0.5). */
  prob: number;
}

/** ImageNet mean in 8 bits, timm's fill colour for geometric ops. */
export const IMAGENET_MEAN_UINT8: Rgb = [124, 116, 104];

/** The 15 op names of timm's increasing RandAugment set (`inc1`). */
export const RAND_INCREASING_OPS = [
  'AutoContrast',
  'Equalize',
  'Invert',
  'Rotate',
  'PosterizeIncreasing',
  'SolarizeIncreasing',
  'SolarizeAdd',
  'ColorIncreasing',
  'ContrastIncreasing',
  'BrightnessIncreasing',
  'SharpnessIncreasing',
  'ShearX',
  'ShearY',
  'TranslateXRel',
  'TranslateYRel',
] as const;

/** The 15 op names of timm's original RandAugment set (`inc0`). */
export const RAND_OPS = [
  'AutoContrast',
  'Equalize',
  'Invert',
  'Rotate',
  'Posterize',
  'Solarize',
  'SolarizeAdd',
  'Color',
  'Contrast',
  'Brightness',
  'Sharpness',
  'ShearX',
  'ShearY',
  'TranslateXRel',
  'TranslateYRel',
] as const;

/** Name of a RandAugment op. */
export type RandAugmentOpName = (typeof RAND_INCREASING_OPS)[number] | (typeof RAND_OPS)[number];

/**
 * Applies one RandAugment op at magnitude `m` (0–10 scale) with timm's level mapping. `rng` supplies the
 * random sign of the signed ops (rotate, shear, translate, increasing enhancements).
 */
export function applyRandAugmentOp(name: RandAugmentOpName, image: Uint8Image, m: number, rng: Rng, fill: Rgb = IMAGENET_MEAN_UINT8): Uint8Image {
  const level = m / 10;
  const signed = (v: number): number => (rng.random() > 0.5 ? -v : v);
  const W = image.width;
  const H = image.height;
  switch (name) {
    case 'AutoContrast':
      return autoContrast(image);
    case 'Equalize':
      return equalize(image);
    case 'Invert':
      return invert(image);
    case 'Rotate':
      return rotate(image, signed(level * 30), fill);
    case 'PosterizeIncreasing':
      return posterizeBits(image, 4 - Math.trunc(level * 4));
    case 'Posterize':
      return posterizeBits(image, Math.trunc(level * 4));
    case 'SolarizeIncreasing':
      return solarize(image, 256 - Math.trunc(level * 256));
    case 'Solarize':
      return solarize(image, Math.trunc(level * 256));
    case 'SolarizeAdd':
      return solarizeAdd(image, Math.trunc(level * 110));
    case 'ColorIncreasing':
      return adjustSaturation(image, 1 + signed(level * 0.9));
    case 'Color':
      return adjustSaturation(image, level * 1.8 + 0.1);
    case 'ContrastIncreasing':
      return adjustContrast(image, 1 + signed(level * 0.9));
    case 'Contrast':
      return adjustContrast(image, level * 1.8 + 0.1);
    case 'BrightnessIncreasing':
      return adjustBrightness(image, 1 + signed(level * 0.9));
    case 'Brightness':
      return adjustBrightness(image, level * 1.8 + 0.1);
    case 'SharpnessIncreasing':
      return adjustSharpness(image, 1 + signed(level * 0.9));
    case 'Sharpness':
      return adjustSharpness(image, level * 1.8 + 0.1);
    case 'ShearX':
      return affineTransform(image, [1, signed(level * 0.3), 0, 0, 1, 0], fill);
    case 'ShearY':
      return affineTransform(image, [1, 0, 0, signed(level * 0.3), 1, 0], fill);
    case 'TranslateXRel':
      return affineTransform(image, [1, 0, signed(level * 0.45) * W, 0, 1, 0], fill);
    case 'TranslateYRel':
      return affineTransform(image, [1, 0, 0, 0, 1, signed(level * 0.45) * H], fill);
  }
}

function posterizeBits(image: Uint8Image, bits: number): Uint8Image {
  // timm returns the image untouched when 8 or more bits are kept.
  return bits >= 8 ? { width: image.width, height: image.height, data: image.data.slice() } : posterize(image, bits);
}

/** One op of a RandAugment draw that fires, with its noisy magnitude. */
export interface RandAugmentStep {
  /** The op. */
  op: RandAugmentOpName;
  /** Its magnitude on the 0–10 scale (after noise and clipping). */
  magnitude: number;
}

/**
 * The random part of timm RandAugment: `numLayers` ops drawn uniformly with replacement; each fires with
 * `prob` and gets a magnitude redrawn from N(m, mstd²) (uniform in [0, m] for an infinite mstd), clipped
 * to [0, mmax]. Returns the ops that fire, in order.
 */
export function randAugmentPlan(config: RandAugmentConfig, rng: Rng): RandAugmentStep[] {
  const ops = config.increasing ? RAND_INCREASING_OPS : RAND_OPS;
  const chosen: RandAugmentOpName[] = [];
  for (let i = 0; i < config.numLayers; i++) chosen.push(ops[rng.int(0, ops.length)]!);
  const steps: RandAugmentStep[] = [];
  for (const op of chosen) {
    if (config.prob < 1 && rng.random() > config.prob) continue;
    let m = config.magnitude;
    if (config.magnitudeStd > 0) {
      m = config.magnitudeStd === Number.POSITIVE_INFINITY ? rng.uniform(0, m) : rng.normal(m, config.magnitudeStd);
    }
    steps.push({ op, magnitude: Math.min(config.magnitudeMax, Math.max(0, m)) });
  }
  return steps;
}

/** timm RandAugment on one image: {@link randAugmentPlan}, then each op in turn. Returns an 8-bit image. */
export function randAugment(image: HostImage, config: RandAugmentConfig, rng: Rng, fill: Rgb = IMAGENET_MEAN_UINT8): Uint8Image {
  let img = toUint8Image(image);
  for (const { op, magnitude } of randAugmentPlan(config, rng)) img = applyRandAugmentOp(op, img, magnitude, rng, fill);
  return img;
}

/**
 * Parses a timm auto-augment string of the RandAugment family, e.g. `rand-m9-mstd0.5-inc1`
 * (sections: `m` magnitude, `n` ops per image, `mstd` magnitude noise, `mmax` clip, `inc` increasing ops,
 * `p` op probability). Unknown sections raise a ConfigError naming `option`.
 */
export function parseRandAugment(spec: string, option = 'autoAugment'): RandAugmentConfig {
  const parts = spec.trim().split('-');
  if (parts[0] !== 'rand') {
    throw new ConfigError(option, `"${spec}" is not a RandAugment string (expected "rand-m<magnitude>-…", e.g. rand-m9-mstd0.5-inc1)`);
  }
  const config: RandAugmentConfig = { magnitude: 10, numLayers: 2, magnitudeStd: 0, magnitudeMax: 10, increasing: false, prob: 0.5 };
  for (const part of parts.slice(1)) {
    // timm splits each section at its first digit: key letters, then the value.
    const match = /^([a-z]+)(\d.*)$/.exec(part);
    const num = match ? Number(match[2]) : Number.NaN;
    if (!match || Number.isNaN(num)) throw new ConfigError(option, `cannot parse section "${part}" of "${spec}"`);
    const key = match[1];
    if (key === 'm') config.magnitude = num;
    else if (key === 'n') config.numLayers = num;
    else if (key === 'mstd') config.magnitudeStd = num > 100 ? Number.POSITIVE_INFINITY : num;
    else if (key === 'mmax') config.magnitudeMax = num;
    else if (key === 'inc') config.increasing = num !== 0;
    else if (key === 'p') config.prob = num;
    else throw new ConfigError(option, `unknown section "${key}" in "${spec}" (known: m, n, mstd, mmax, inc, p)`);
  }
  if (!Number.isInteger(config.numLayers) || config.numLayers < 0) throw new ConfigError(option, `n must be a non-negative integer in "${spec}"`);
  if (config.prob < 0 || config.prob > 1) throw new ConfigError(option, `p must lie in [0, 1] in "${spec}"`);
  if (config.magnitudeStd < 0) throw new ConfigError(option, `mstd must be ≥ 0 in "${spec}"`);
  return config;
}
