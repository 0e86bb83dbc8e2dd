import { ConfigError, Rng, type StateDict } from '@deitjs/core';
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

/** The registry: timm's DeiT v1 names (ImageNet) and 32-px presets for CIFAR-sized data. */
export const MODEL_ARCHITECTURES: Readonly<Record<string, DeiTArchitecture>> = {
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
};

/** Names accepted by {@link createModel}. */
export function listModels(): string[] {
  return Object.keys(MODEL_ARCHITECTURES);
}

/** Options of {@link createModel}. */
export interface CreateModelOptions {
  /** Output classes (default: the architecture's). A checkpoint with another count gets new heads. */
  numClasses?: number;
  /** Input size (default: the architecture's); a checkpoint's `pos_embed` is resampled to it. */
  imgSize?: number;
  /** Stochastic-depth rate of the last block (default 0.1, as deit trains). */
  dropPathRate?: number;
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
export function modelConfig(name: string, options: Pick<CreateModelOptions, 'numClasses' | 'imgSize' | 'dropPathRate'> = {}): DeiTConfig {
  const a = MODEL_ARCHITECTURES[name];
  if (a === undefined) throw new ConfigError('model', `unknown model "${name}" (known: ${listModels().join(', ')})`);
  const { defaultNumClasses, ...rest } = a;
  return {
    ...rest,
    imgSize: options.imgSize ?? a.imgSize,
    numClasses: options.numClasses ?? defaultNumClasses,
    dropPathRate: options.dropPathRate ?? 0.1,
  };
}

/** Creates a registered DeiT by name (timm's `create_model`), optionally loading weights. */
export function createModel(name: string, options: CreateModelOptions = {}): DeiT {
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
