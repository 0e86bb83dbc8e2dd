import { ConfigError, Module, type Rng, ShapeError, tf } from '@deitjs/core';

/** Configuration of a {@link PatchEmbed}. */
export interface PatchEmbedConfig {
  /** Input image size, square (`number`) or `[height, width]`. */
  imgSize: number | [number, number];
  /** Patch size: kernel and stride of the projection. */
  patchSize: number;
  /** Image channels (3 for RGB). */
  inChans?: number;
  /** Token width D. */
  embedDim: number;
}

/** A square or rectangular size as `[height, width]`. */
export function toPair(size: number | [number, number]): [number, number] {
  return typeof size === 'number' ? [size, size] : [size[0], size[1]];
}

/**
 * ViT patch embedding: a Conv2d with kernel = stride = patch size, computed as patchify + one 2-D matMul.
 * The weight is held as a TF.js conv filter `[p, p, C, D]` (layout `conv2d`), so the file sees PyTorch's
 * `proj.weight [D, C, p, p]`; flattening that filter row-major gives exactly the `[p·p·C, D]` matrix whose
 * rows are in (kh, kw, c) order, which is the order NHWC patches flatten in.
 */
export class PatchEmbed extends Module {
  /** Patch grid `[rows, cols]`. */
  readonly gridSize: [number, number];
  /** Number of patches (rows · cols). */
  readonly numPatches: number;
  /** Image size `[height, width]` this embedding accepts. */
  readonly imgSize: [number, number];
  /** Patch size. */
  readonly patchSize: number;
  /** Image channels. */
  readonly inChans: number;
  /** Token width D. */
  readonly embedDim: number;
  private readonly weight: tf.Variable;
  private readonly bias: tf.Variable;

  /** Creates the projection with PyTorch's default Conv2d initialisation, U(±1/√fan_in) for weight and bias. */
  constructor(config: PatchEmbedConfig, rng: Rng) {
    super();
    const p = config.patchSize;
    const c = config.inChans ?? 3;
    const d = config.embedDim;
    this.imgSize = toPair(config.imgSize);
    if (!Number.isInteger(p) || p < 1) throw new ConfigError('patchSize', `must be a positive integer, got ${p}`);
    if (!Number.isInteger(d) || d < 1) throw new ConfigError('embedDim', `must be a positive integer, got ${d}`);
    if (!Number.isInteger(c) || c < 1) throw new ConfigError('inChans', `must be a positive integer, got ${c}`);
    for (const s of this.imgSize) {
      if (!Number.isInteger(s) || s < p || s % p !== 0) {
        throw new ConfigError('imgSize', `${this.imgSize.join('x')} is not a whole number of ${p}-pixel patches`);
      }
    }
    this.patchSize = p;
    this.inChans = c;
    this.embedDim = d;
    this.gridSize = [this.imgSize[0] / p, this.imgSize[1] / p];
    this.numPatches = this.gridSize[0] * this.gridSize[1];
    // kaiming_uniform(a=√5) on a conv reduces to U(−1/√fan_in, 1/√fan_in); PyTorch's bias uses the same bound.
    const bound = 1 / Math.sqrt(c * p * p);
    this.weight = this.addParam('proj.weight', tf.tensor(rng.uniformArray(p * p * c * d, -bound, bound), [p, p, c, d]), 'conv2d');
    this.bias = this.addParam('proj.bias', tf.tensor(rng.uniformArray(d, -bound, bound), [d]));
  }

  /** NHWC images `[B, H, W, C]` → patch tokens `[B, rows·cols, D]`, row-major over the grid. */
  apply(images: tf.Tensor4D): tf.Tensor3D {
    const [b, h, w, c] = images.shape;
    if (h !== this.imgSize[0] || w !== this.imgSize[1] || c !== this.inChans) {
      throw new ShapeError(
        'images',
        `expected NHWC [batch, ${this.imgSize[0]}, ${this.imgSize[1]}, ${this.inChans}], got [${images.shape.join(', ')}]`,
      );
    }
    const p = this.patchSize;
    const [gh, gw] = this.gridSize;
    return tf.tidy(() => {
      // Rank-4 transposes only: [B·gh, p, gw, p·C] → [B·gh, gw, p, p·C] puts each patch's (kh, kw, c) values together.
      const patches = tf.reshape(tf.transpose(tf.reshape(images, [b * gh, p, gw, p * c]), [0, 2, 1, 3]), [b * gh * gw, p * p * c]) as tf.Tensor2D;
      const kernel = tf.reshape(this.weight, [p * p * c, this.embedDim]) as tf.Tensor2D;
      return tf.reshape(tf.add(tf.matMul(patches, kernel), this.bias), [b, gh * gw, this.embedDim]) as tf.Tensor3D;
    });
  }
}
