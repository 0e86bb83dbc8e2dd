import { IMAGENET_NORMALIZATION, type Normalization } from '@deitjs/core';

/** Resampling filter of the eval resize (PIL's names, as timm's `interpolation`). */
export type Interpolation = 'bicubic' | 'bilinear';

/**
 * What a registered name's weights expect, as timm's `pretrained_cfg` says it: input size, normalisation, eval crop
 * ratio and resampling, class count, and the parameter names of the first convolution and the classifier.
 */
export interface PretrainedCfg extends Normalization {
  /** timm's pretrained tag the values describe (`fb_in1k`, `a1_in1k`, …); absent for deitjs's own small-image models. */
  tag?: string;
  /** Classes of the reference weights. */
  numClasses: number;
  /** Input `[channels, height, width]`. */
  inputSize: [number, number, number];
  /** Eval resize: shorter side → `size / cropPct`, then a centre crop of `size` (1 = resize only). */
  cropPct: number;
  /** Resampling of the eval resize. */
  interpolation: Interpolation;
  /** Parameter-name prefix of the first convolution (timm's `first_conv`), e.g. for adapting input channels. */
  firstConv: string;
  /** Parameter-name prefixes of the classifier head(s) (timm's `classifier`), re-initialised on a class-count change. */
  classifier: string[];
}

/** The fields that vary between names; the rest default to ImageNet's normalisation, 3 channels and 1000 classes. */
export interface PretrainedCfgFields {
  /** See {@link PretrainedCfg.tag}. */
  tag?: string;
  /** Square input size (height = width). */
  size: number;
  /** See {@link PretrainedCfg.cropPct}. */
  cropPct: number;
  /** See {@link PretrainedCfg.interpolation}. */
  interpolation: Interpolation;
  /** See {@link PretrainedCfg.firstConv}. */
  firstConv: string;
  /** See {@link PretrainedCfg.classifier}. */
  classifier: string[];
  /** Default 1000. */
  numClasses?: number;
  /** Default ImageNet's mean and std. */
  normalization?: Normalization;
}

/** A frozen {@link PretrainedCfg} (registry tables share it; readers get copies from {@link copyPretrainedCfg}). */
export function makePretrainedCfg(f: PretrainedCfgFields): Readonly<PretrainedCfg> {
  const n = f.normalization ?? IMAGENET_NORMALIZATION;
  const cfg: PretrainedCfg = {
    ...(f.tag === undefined ? {} : { tag: f.tag }),
    numClasses: f.numClasses ?? 1000,
    inputSize: [3, f.size, f.size],
    cropPct: f.cropPct,
    interpolation: f.interpolation,
    mean: [...n.mean],
    std: [...n.std],
    firstConv: f.firstConv,
    classifier: [...f.classifier],
  };
  return Object.freeze(cfg);
}

/** A copy the caller may change without touching the registry. */
export function copyPretrainedCfg(cfg: Readonly<PretrainedCfg>): PretrainedCfg {
  return { ...cfg, inputSize: [...cfg.inputSize], mean: [...cfg.mean], std: [...cfg.std], classifier: [...cfg.classifier] };
}
