import {
  type ApplyOptions,
  type Classifier,
  ConfigError,
  type DistilledLogits,
  Module,
  type Rng,
  type StateDict,
  tf,
} from '@deitjs/core';
import { type ForwardOptions, LayerNorm, Linear, TransformerEncoder } from '@deitjs/encoder';
import { PatchEmbed, embedTokens, initTokenEmbedding } from '@deitjs/tokens';

/** The architecture of a DeiT model (timm `VisionTransformer` / `VisionTransformerDistilled` arguments). */
export interface DeiTConfig {
  /** Square input size in pixels. */
  imgSize: number;
  /** Patch size (kernel and stride of the patch embedding). */
  patchSize: number;
  /** Image channels (default 3). */
  inChans?: number;
  /** Token width D. */
  embedDim: number;
  /** Number of transformer blocks. */
  depth: number;
  /** Attention heads. */
  numHeads: number;
  /** MLP hidden width ratio (default 4). */
  mlpRatio?: number;
  /** Output classes. */
  numClasses: number;
  /** Whether the model has the distillation token and `head_dist`. */
  distilled: boolean;
  /** Stochastic-depth rate of the last block (default 0.1, as deit trains). */
  dropPathRate?: number;
}

/** Options of {@link DeiT.forwardFeatures} and {@link DeiT.forwardIntermediates}. */
export type FeatureOptions = ForwardOptions;

/** The DeiT key names whose tensors are the classifier (re-initialised when the class count changes). */
export const CLASSIFIER_KEYS = ['head.weight', 'head.bias', 'head_dist.weight', 'head_dist.bias'] as const;

/**
 * DeiT (Touvron et al. 2021): patch tokens + cls token (+ dist token) + learned position embedding, a pre-norm
 * transformer encoder, a final LayerNorm, and `head` on the cls token (+ `head_dist` on the dist token).
 * Parameter names and file layouts are timm's, so its state dict loads timm/deit checkpoints directly.
 */
export class DeiT extends Module implements Classifier {
  /** The architecture. */
  readonly config: Readonly<Required<DeiTConfig>>;
  /** Output classes. */
  readonly numClasses: number;
  /** Whether the model has the distillation token and head. */
  readonly distilled: boolean;
  /** Number of tokens before the patches (2 distilled: cls, dist; 1 plain). */
  readonly numPrefixTokens: number;
  /** The patch embedding (`patch_embed.*`). */
  readonly patchEmbed: PatchEmbed;
  /** The blocks (`blocks.*`). */
  readonly encoder: TransformerEncoder;
  /** The final norm (`norm.*`). */
  readonly norm: LayerNorm;
  /** The class-token head (`head.*`). */
  readonly head: Linear;
  /** The distillation-token head (`head_dist.*`), distilled models only. */
  readonly headDist: Linear | undefined;
  private readonly clsToken: tf.Variable;
  private readonly distToken: tf.Variable | undefined;
  private readonly posEmbed: tf.Variable;

  /** Builds the model with DeiT's initialisation (deit-spec §1.3), drawing from `rng`. */
  constructor(config: DeiTConfig, rng: Rng) {
    super();
    const full: Required<DeiTConfig> = { inChans: 3, mlpRatio: 4, dropPathRate: 0.1, ...config };
    if (!Number.isInteger(full.numClasses) || full.numClasses < 1) throw new ConfigError('numClasses', `must be a positive integer, got ${full.numClasses}`);
    if (!(full.dropPathRate >= 0 && full.dropPathRate < 1)) throw new ConfigError('dropPathRate', `must be in [0, 1), got ${full.dropPathRate}`);
    this.config = full;
    this.numClasses = full.numClasses;
    this.distilled = full.distilled;
    this.numPrefixTokens = full.distilled ? 2 : 1;
    const d = full.embedDim;
    // Validate what the layers would only reject after others have allocated their variables.
    if (!Number.isInteger(full.numHeads) || full.numHeads < 1 || d % full.numHeads !== 0) {
      throw new ConfigError('numHeads', `must be a positive integer dividing embedDim ${d}, got ${full.numHeads}`);
    }
    if (!Number.isInteger(full.depth) || full.depth < 1) throw new ConfigError('depth', `must be a positive integer, got ${full.depth}`);
    if (!(Math.round(d * full.mlpRatio) >= 1)) throw new ConfigError('mlpRatio', `must give a positive hidden width, got ${full.mlpRatio}`);
    const patchEmbed = new PatchEmbed({ imgSize: full.imgSize, patchSize: full.patchSize, inChans: full.inChans, embedDim: d }, rng);
    // Registration order = timm's state-dict order: cls_token, pos_embed, dist_token, patch_embed, blocks, norm, heads.
    this.clsToken = this.addParam('cls_token', initTokenEmbedding(rng, 1, d));
    this.posEmbed = this.addParam('pos_embed', initTokenEmbedding(rng, this.numPrefixTokens + patchEmbed.numPatches, d));
    this.distToken = full.distilled ? this.addParam('dist_token', initTokenEmbedding(rng, 1, d)) : undefined;
    this.patchEmbed = this.addChild('patch_embed', patchEmbed);
    this.encoder = this.addChild(
      'blocks',
      new TransformerEncoder({ depth: full.depth, dim: d, numHeads: full.numHeads, mlpRatio: full.mlpRatio, dropPathRate: full.dropPathRate }, rng),
    );
    this.norm = this.addChild('norm', new LayerNorm({ dim: d, eps: 1e-6 }));
    this.head = this.addChild('head', new Linear({ inFeatures: d, outFeatures: full.numClasses }, rng));
    this.headDist = full.distilled ? this.addChild('head_dist', new Linear({ inFeatures: d, outFeatures: full.numClasses }, rng)) : undefined;
  }

  /** Patch grid `[rows, cols]`. */
  get gridSize(): [number, number] {
    return this.patchEmbed.gridSize;
  }

  private embed(images: tf.Tensor4D): tf.Tensor3D {
    const prefix = this.distToken === undefined ? [this.clsToken] : [this.clsToken, this.distToken];
    // pos_drop has rate 0 in DeiT, so the embedded tokens are its output.
    return embedTokens(this.patchEmbed.apply(images), prefix, this.posEmbed);
  }

  /** NHWC images → tokens after the final norm `[B, T + N, D]`. */
  forwardFeatures(images: tf.Tensor4D, options: FeatureOptions): tf.Tensor3D {
    return tf.tidy(() => this.norm.apply(this.encoder.apply(this.embed(images), options)));
  }

  /**
   * Every intermediate token tensor of one forward pass, keyed by timm module path: `patch_embed` `[B, N, D]`,
   * `pos_drop`, `blocks.0` … `blocks.{depth−1}`, `norm` (each `[B, T + N, D]`). The caller owns the tensors.
   */
  forwardIntermediates(images: tf.Tensor4D, options: FeatureOptions): Map<string, tf.Tensor3D> {
    const entries = tf.tidy(() => {
      const patches = this.patchEmbed.apply(images);
      const prefix = this.distToken === undefined ? [this.clsToken] : [this.clsToken, this.distToken];
      const tokens = embedTokens(patches, prefix, this.posEmbed);
      const blocks = this.encoder.applyAll(tokens, options);
      return [patches, tokens, ...blocks, this.norm.apply(blocks[blocks.length - 1]!)];
    });
    const names = ['patch_embed', 'pos_drop', ...this.encoder.blocks.map((_, i) => `blocks.${i}`), 'norm'];
    return new Map(names.map((n, i) => [n, entries[i]!]));
  }

  /** Classifier heads on normed tokens: `{cls, dist}` of a distilled model, or the single head's logits. */
  forwardHeads(tokens: tf.Tensor3D): tf.Tensor2D | DistilledLogits {
    const [b, , d] = tokens.shape;
    return tf.tidy(() => {
      const cls = this.head.apply(tf.reshape(tf.slice(tokens, [0, 0, 0], [b, 1, d]), [b, d]) as tf.Tensor2D);
      if (this.headDist === undefined) return cls;
      const dist = this.headDist.apply(tf.reshape(tf.slice(tokens, [0, 1, 0], [b, 1, d]), [b, d]) as tf.Tensor2D);
      return { cls, dist };
    });
  }

  /**
   * The forward pass on NHWC images `[B, H, W, C]` (normalised). A distilled model returns `{cls, dist}` while
   * training or when `returnBoth` is set, otherwise the mean of the two heads' logits; a plain model returns
   * `head(norm(x)[:, 0])`.
   */
  apply(images: tf.Tensor4D, options: ApplyOptions): tf.Tensor2D | DistilledLogits {
    const result = tf.tidy((): tf.TensorContainer => {
      const out = this.forwardHeads(this.forwardFeatures(images, options));
      if (!('cls' in out)) return out;
      if (options.training || options.returnBoth) return { cls: out.cls, dist: out.dist };
      return tf.div(tf.add(out.cls, out.dist), 2);
    });
    return result as tf.Tensor2D | DistilledLogits;
  }

  /** Eval-mode logits `[B, classes]` (the mean of both heads for a distilled model). */
  predict(images: tf.Tensor4D): tf.Tensor2D {
    return this.apply(images, { training: false }) as tf.Tensor2D;
  }

  /** Re-draws `head` (and `head_dist`) as at initialisation: weights trunc-normal(0.02), biases 0. */
  resetClassifier(rng: Rng): void {
    for (const head of this.headDist === undefined ? [this.head] : [this.head, this.headDist]) {
      const fresh = new Linear({ inFeatures: head.inFeatures, outFeatures: head.outFeatures }, rng);
      const sd: StateDict = fresh.stateDict();
      fresh.dispose();
      head.loadStateDict(sd);
    }
  }
}
