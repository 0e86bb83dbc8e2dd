import { ConfigError, IMAGENET_NORMALIZATION, type Normalization, type Rng } from '@deitjs/core';
import { asGreyRgb, checkChannels, firstChannel } from './channels.js';
import { colorJitter } from './color-jitter.js';
import { evalResizeCrop, resizeShorter } from './eval-resize.js';
import { randomHorizontalFlip } from './flip.js';
import { toUint8Image, type FloatImage, type HostImage } from './image.js';
import { normalize } from './normalize.js';
import { parseRandAugment, randAugment } from './rand-augment.js';
import { randomCrop, randomShift } from './random-crop.js';
import { randomErasing } from './random-erasing.js';
import { randomResizedCrop } from './random-resized-crop.js';
import { resize } from './resize.js';
import { threeAugmentChoice } from './three-augment.js';

/** A per-sample transform: host image + the sample's own generator → normalised float32 HWC image. */
export type ImageTransform = (image: HostImage, rng: Rng) => FloatImage;

/** The DeiT / timm training transform (deit-spec §4.3). */
export interface DeitTrainTransformSpec {
  kind: 'deit-train';
  /** Output size (default 224). */
  size?: number;
  /** RandomResizedCrop area range (default [0.08, 1]). */
  scale?: [number, number];
  /** RandomResizedCrop aspect range (default [3/4, 4/3]). */
  ratio?: [number, number];
  /** Horizontal flip probability (default 0.5). */
  hflip?: number;
  /** timm auto-augment string (default `rand-m9-mstd0.5-inc1`); null, '' or 'none' disables it. */
  autoAugment?: string | null;
  /** ColorJitter strength, only used without auto-augment, as timm (default 0.3). */
  colorJitter?: number;
  /** RandomErasing probability (default 0.25). */
  reprob?: number;
  /** RandomErasing box count (default 1). */
  recount?: number;
  /** Normalisation (default ImageNet). */
  normalization?: Normalization;
}

/** The DeiT-III 3-Augment training transform (deit-spec §4.5). */
export interface ThreeAugmentTransformSpec {
  kind: 'three-augment';
  /** Output size (default 224). */
  size?: number;
  /** ColorJitter strength (default 0.3; 0 disables). */
  colorJitter?: number;
  /** "Simple random crop" (`--src`): resize + reflect-padded random crop instead of RandomResizedCrop. */
  src?: boolean;
  /** Normalisation (default ImageNet). */
  normalization?: Normalization;
}

/** The evaluation transform: shorter side → size / cropPct (bicubic), centre crop (deit-spec §4.4). */
export interface EvalTransformSpec {
  kind: 'eval';
  /** Output size (default 224). */
  size?: number;
  /** Crop fraction (default 0.875). */
  cropPct?: number;
  /** Normalisation (default ImageNet). */
  normalization?: Normalization;
}

/** Light augmentation for small images (the MNIST demo): optional resize, random shift, optional flip. */
export interface LightTransformSpec {
  kind: 'light';
  /** Resize to this square size first (bicubic) when the image differs. */
  size?: number;
  /** Maximum shift in pixels (default 2). */
  shift?: number;
  /** Horizontal flip probability (default 0). */
  hflip?: number;
  /** Normalisation (default ImageNet). */
  normalization?: Normalization;
}

/** No augmentation: optional resize, then normalisation only. */
export interface PlainTransformSpec {
  kind: 'plain';
  /** Resize to this square size first (bicubic) when the image differs. */
  size?: number;
  /** Normalisation (default ImageNet). */
  normalization?: Normalization;
}

/** The output channels of any transform. */
export interface ChannelsOption {
  /**
   * 3 (RGB, default) or 1: the image is made grey first (PIL's luminance; grey data pass unchanged), every step runs
   * as on RGB, and the output keeps one channel, normalised with the first channel's mean/std.
   */
  channels?: 1 | 3;
}

/** A serialisable description of a per-sample transform (worker threads rebuild it from this). */
export type TransformSpec = (DeitTrainTransformSpec | ThreeAugmentTransformSpec | EvalTransformSpec | LightTransformSpec | PlainTransformSpec) & ChannelsOption;

function checkSize(size: number, option: string): number {
  if (!Number.isInteger(size) || size <= 0) throw new ConfigError(option, `must be a positive integer, got ${size}`);
  return size;
}

function squareResize(image: HostImage, size: number | undefined): HostImage {
  if (size === undefined || (image.width === size && image.height === size)) return image;
  return resize(toUint8Image(image), size, size, 'bicubic');
}

/** Builds the transform a {@link TransformSpec} describes; options are checked here, once. */
export function createTransform(spec: TransformSpec): ImageTransform {
  const channels = checkChannels(spec.channels ?? 3, 'channels');
  const rgb = createRgbTransform(spec);
  if (channels === 3) return rgb;
  // Grey from the start, so that the one kept channel is the luminance whatever the data; the steps stay RGB's.
  return (image, rng) => firstChannel(rgb(asGreyRgb(image), rng));
}

function createRgbTransform(spec: TransformSpec): ImageTransform {
  const norm = spec.normalization ?? IMAGENET_NORMALIZATION;
  switch (spec.kind) {
    case 'deit-train': {
      const size = checkSize(spec.size ?? 224, 'size');
      const aaString = spec.autoAugment === undefined ? 'rand-m9-mstd0.5-inc1' : spec.autoAugment;
      const aa = aaString && aaString.toLowerCase() !== 'none' ? parseRandAugment(aaString) : undefined;
      const cj = spec.colorJitter ?? 0.3;
      const hflip = spec.hflip ?? 0.5;
      const reprob = spec.reprob ?? 0.25;
      const recount = spec.recount ?? 1;
      const crop = { size, scale: spec.scale ?? [0.08, 1], ratio: spec.ratio ?? [3 / 4, 4 / 3] } as const;
      return (image, rng) => {
        let img = randomResizedCrop(image, crop, rng);
        img = randomHorizontalFlip(img, rng, hflip);
        if (aa) img = randAugment(img, aa, rng);
        else if (cj > 0) img = colorJitter(img, { brightness: cj, contrast: cj, saturation: cj }, rng);
        const out = normalize(img, norm);
        return reprob > 0 ? randomErasing(out, { probability: reprob, count: recount }, rng) : out;
      };
    }
    case 'three-augment': {
      const size = checkSize(spec.size ?? 224, 'size');
      const cj = spec.colorJitter ?? 0.3;
      return (image, rng) => {
        let img = spec.src ? randomCrop(resizeShorter(image, size), size, rng, 4, 'reflect') : randomResizedCrop(image, { size }, rng);
        img = randomHorizontalFlip(img, rng, 0.5);
        img = threeAugmentChoice(img, rng);
        if (cj > 0) img = colorJitter(img, { brightness: cj, contrast: cj, saturation: cj }, rng);
        return normalize(img, norm);
      };
    }
    case 'eval': {
      const size = checkSize(spec.size ?? 224, 'size');
      const cropPct = spec.cropPct ?? 0.875;
      if (!(cropPct > 0 && cropPct <= 1)) throw new ConfigError('cropPct', `must lie in (0, 1], got ${cropPct}`);
      return (image) => normalize(evalResizeCrop(image, size, cropPct), norm);
    }
    case 'light': {
      if (spec.size !== undefined) checkSize(spec.size, 'size');
      const shift = spec.shift ?? 2;
      const hflip = spec.hflip ?? 0;
      return (image, rng) => {
        let img = randomShift(squareResize(image, spec.size), shift, rng);
        if (hflip > 0) img = randomHorizontalFlip(img, rng, hflip);
        return normalize(img, norm);
      };
    }
    case 'plain': {
      if (spec.size !== undefined) checkSize(spec.size, 'size');
      return (image) => normalize(squareResize(image, spec.size), norm);
    }
    default:
      throw new ConfigError('transform.kind', `unknown transform "${(spec as { kind: string }).kind}" (deit-train, three-augment, eval, light, plain)`);
  }
}
