import { ConfigError, ShapeError, tf } from '@deitjs/core';
import type { DeiT, FeatureOptions } from './deit.js';

/**
 * Cosine similarity of tokens `i` and `j` of every sample of a token tensor `[B, T, D]` → `[B]`, as PyTorch's
 * `F.cosine_similarity(x[:, i], x[:, j], dim=-1)`: the dot product over the product of the norms, the latter
 * clamped below at `eps` (so two zero vectors give 0, not NaN).
 */
export function tokenCosine(tokens: tf.Tensor3D, i = 0, j = 1, eps = 1e-8): tf.Tensor1D {
  if (tokens.rank !== 3) throw new ShapeError('tokens', `expected [batch, tokens, dim], got [${tokens.shape.join(', ')}]`);
  const [b, t, d] = tokens.shape;
  for (const [name, k] of [['i', i], ['j', j]] as const) {
    if (!Number.isInteger(k) || k < 0 || k >= t) throw new ShapeError(name, `token index ${k} is outside [0, ${t})`);
  }
  return tf.tidy(() => {
    const a = tf.reshape(tf.slice(tokens, [0, i, 0], [b, 1, d]), [b, d]);
    const c = tf.reshape(tf.slice(tokens, [0, j, 0], [b, 1, d]), [b, d]);
    const dot = tf.sum(tf.mul(a, c), 1);
    const norms = tf.mul(tf.norm(a, 'euclidean', 1), tf.norm(c, 'euclidean', 1));
    return tf.div(dot, tf.maximum(norms, eps)) as tf.Tensor1D;
  });
}

/** What {@link clsDistCosine} returns: one row of cosines per layer. */
export interface TokenCosineByLayer {
  /** timm module paths, in forward order: `pos_drop` (the encoder's input), `blocks.0` … `blocks.{depth−1}`, `norm`. */
  layers: string[];
  /** Cosine of the cls and dist tokens `[layers, batch]`; the caller owns it. */
  cosine: tf.Tensor2D;
  /** The eval-mode logits of both heads (from the same forward pass); the caller owns them. */
  cls: tf.Tensor2D;
  /** The distillation head's logits. */
  dist: tf.Tensor2D;
}

/**
 * The DeiT paper's token analysis (§5.1: the cls and dist tokens start far apart and converge through the
 * network): the cosine similarity of the cls and dist tokens of a distilled DeiT after every layer, from one
 * forward pass (`forwardIntermediates`), together with the two heads' logits of that pass.
 */
export function clsDistCosine(model: DeiT, images: tf.Tensor4D, options: FeatureOptions = { training: false }): TokenCosineByLayer {
  if (!model.distilled) throw new ConfigError('model', 'the cls/dist token analysis needs a distilled DeiT (one with a dist token)');
  const inter = model.forwardIntermediates(images, options);
  try {
    // patch_embed has no prefix tokens: every other entry does.
    const layers = [...inter.keys()].filter((k) => k !== 'patch_embed');
    const [cosine, cls, dist] = tf.tidy(() => {
      const rows = layers.map((k) => tokenCosine(inter.get(k)!));
      const heads = model.forwardHeads(inter.get('norm')!);
      if (!('cls' in heads)) throw new ConfigError('model', 'a distilled DeiT returned a single head');
      return [tf.stack(rows) as tf.Tensor2D, heads.cls, heads.dist];
    });
    return { layers, cosine, cls, dist };
  } finally {
    tf.dispose([...inter.values()]);
  }
}
