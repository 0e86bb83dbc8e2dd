import { ConfigError, Rng, type StateDict } from '@deitjs/core';
import { type PretrainedCfg, makePretrainedCfg } from '@deitjs/teachers';
import { DeiT, type DeiTConfig } from './deit.js';
import { loadWeights } from './weights.js';

/** A registered architecture: everything of {@link DeiTConfig} but the per-run options. */
export type DeiTArchitecture = Omit<DeiTConfig, 'numClasses' | 'dropPathRate'> & {
  /** Classes of the reference model (1000 for ImageNet, 10 for the 32-px CIFAR presets). */
  defaultNumClasses: number;
};

const arch = (imgSize: number, patchSize: number, embedDim: number, depth: number, numHeads: number, distilled: boolean): DeiTArchitecture => ({
  imgSize,
  patchSize,
  embedDim,
  depth,
  numHeads,
  distilled,
  defaultNumClasses: imgSize === 32 ? 10 : 1000,
});

const VARIANTS = {
  deit_tiny_patch16_224: arch(224, 16, 192, 12, 3, false),
  deit_small_patch16_224: arch(224, 16, 384, 12, 6, false),
  deit_base_patch16_224: arch(224, 16, 768, 12, 12, false),
  deit_base_patch16_384: arch(384, 16, 768, 12, 12, false),
  deit_tiny_distilled_patch16_224: arch(224, 16, 192, 12, 3, true),
  deit_small_distilled_patch16_224: arch(224, 16, 384, 12, 6, true),
  deit_base_distilled_patch16_224: arch(224, 16, 768, 12, 12, true),
  deit_base_distilled_patch16_384: arch(384, 16, 768, 12, 12, true),
  deit_micro_patch4_32: arch(32, 4, 64, 2, 2, false),
  deit_micro_distilled_patch4_32: arch(32, 4, 64, 2, 2, true),
  deit_tiny_patch4_32: arch(32, 4, 192, 12, 3, false),
  deit_tiny_distilled_patch4_32: arch(32, 4, 192, 12, 3, true),
  // The embedded MNIST job's student (mnist-effect.md): patch 4 stalls on 1,000 digits, patch 8 (16 tokens) trains.
  deit_mini_patch8_32: arch(32, 8, 64, 4, 2, false),
  deit_mini_distilled_patch8_32: arch(32, 8, 64, 4, 2, true),
} satisfies Record<string, DeiTArchitecture>;

/** A registered DeiT name (timm's DeiT v1 names and the 32-px presets). */
export type DeiTModelName = keyof typeof VARIANTS;

/** The DeiT variants: timm's DeiT v1 names (ImageNet) and 32-px presets for CIFAR-sized data. */
export const MODEL_ARCHITECTURES: Readonly<Record<string, DeiTArchitecture>> = VARIANTS;

/** Whether `name` is a registered DeiT (narrows it for `createModel`'s DeiT overload). */
export function isDeiTModel(name: string): name is DeiTModelName {
  return Object.hasOwn(VARIANTS, name);
}

/**
 * timm deit.py `_cfg` of a DeiT variant (`fb_in1k` weights): ImageNet mean/std, bicubic, crop 0.9 at 224 px and 1.0 at
 * 384 (deit's own eval recipe crops 0.875 instead). The 32-px presets have no timm weights and keep the plain
 * small-image preprocessing: no crop, 10 classes.
 */
export function deitPretrainedCfg(a: DeiTArchitecture): Readonly<PretrainedCfg> {
  const heads = a.distilled ? ['head', 'head_dist'] : ['head'];
  const common = { size: a.imgSize, interpolation: 'bicubic' as const, firstConv: 'patch_embed.proj', classifier: heads, numClasses: a.defaultNumClasses };
  if (a.imgSize === 32) return makePretrainedCfg({ ...common, cropPct: 1 });
  return makePretrainedCfg({ ...common, tag: 'fb_in1k', cropPct: a.imgSize === 384 ? 1 : 0.9 });
}

/** Options of `createModel` for a DeiT (a CNN takes `numClasses`, `weights`, `seed`, `warn` and `source`). */
export interface CreateModelOptions {
  /** Output classes (default: the architecture's). A checkpoint with another count gets new heads. */
  numClasses?: number;
  /** Input size (default: the architecture's); a checkpoint's `pos_embed` is resampled to it. */
  imgSize?: number;
  /** Stochastic-depth rate of the last block (default 0.1, as deit trains). */
  dropPathRate?: number;
  /** Input channels (timm's `in_chans`; default 3, 1 for grey data such as MNIST). */
  inChans?: number;
  /** Weights to load: a .safetensors/.pth file path or a state dict (timm names and layouts). */
  weights?: string | StateDict;
  /** Seed of the initialisation generator (default 0); ignored when `rng` is given. */
  seed?: number;
  /** The initialisation generator. */
  rng?: Rng;
  /** Receives the notice when heads are re-initialised (default `console.warn`). */
  warn?: (message: string) => void;
  /** What to call in-memory `weights` in messages (e.g. the file they were read from). */
  source?: string;
}

/** The full architecture of a registered model with the given options applied. */
export function modelConfig(name: string, options: Pick<CreateModelOptions, 'numClasses' | 'imgSize' | 'dropPathRate' | 'inChans'> = {}): DeiTConfig {
  const a = MODEL_ARCHITECTURES[name];
  if (a === undefined) throw new ConfigError('model', `unknown DeiT "${name}" (known: ${Object.keys(VARIANTS).join(', ')})`);
  const { defaultNumClasses, ...rest } = a;
  return {
    ...rest,
    imgSize: options.imgSize ?? a.imgSize,
    numClasses: options.numClasses ?? defaultNumClasses,
    dropPathRate: options.dropPathRate ?? 0.1,
    ...(options.inChans !== undefined && options.inChans !== 3 ? { inChans: options.inChans } : {}),
  };
}

/** Creates a registered DeiT by name, optionally loading weights (`createModel`'s DeiT half). */
export function createDeiT(name: string, options: CreateModelOptions = {}): DeiT {
  const config = modelConfig(name, options);
  const rng = options.rng ?? new Rng(options.seed ?? 0);
  const model = new DeiT(config, rng);
  if (options.weights !== undefined) {
    try {
      loadWeights(model, options.weights, { warn: options.warn, rng, source: options.source });
    } catch (err) {
      model.dispose();
      throw err;
    }
  }
  return model;
}

/** Trainable parameters of a DeiT architecture, counted without building it (timm's count). */
export function countParams(config: DeiTConfig): number {
  const d = config.embedDim;
  const c = config.inChans ?? 3;
  const p = config.patchSize;
  const grid = Math.floor(config.imgSize / p);
  const prefix = config.distilled ? 2 : 1;
  const hidden = Math.round(d * (config.mlpRatio ?? 4));
  const patchEmbed = d * c * p * p + d;
  const tokens = prefix * d + (prefix + grid * grid) * d;
  const block = 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + 2 * d + (d * hidden + hidden) + (hidden * d + d);
  const heads = prefix * (d * config.numClasses + config.numClasses);
  return patchEmbed + tokens + config.depth * block + 2 * d + heads;
}
