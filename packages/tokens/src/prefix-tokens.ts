import { type Rng, ShapeError, tf } from '@deitjs/core';

/** Standard deviation of the truncated-normal initialisation of DeiT's tokens and position embedding. */
export const TOKEN_INIT_STD = 0.02;

/**
 * A learned token or position embedding `[1, count, dim]` drawn from N(0, 0.02²) truncated at ±2
 * (timm's absolute bounds, ±100σ here), as DeiT initialises `cls_token`, `dist_token` and `pos_embed`.
 */
export function initTokenEmbedding(rng: Rng, count: number, dim: number): tf.Tensor3D {
  return tf.tensor3d(rng.truncNormalArray(count * dim, TOKEN_INIT_STD), [1, count, dim]);
}

/**
 * DeiT v1 token assembly: the prefix tokens (each `[1, 1, D]`, in order: cls, then dist) are broadcast over
 * the batch and put before the patch tokens `[B, N, D]`; then `posEmbed [1, T+N, D]` is added to every token.
 */
export function embedTokens(patches: tf.Tensor3D, prefix: readonly tf.Tensor[], posEmbed: tf.Tensor): tf.Tensor3D {
  const [b, n, d] = patches.shape;
  const t = prefix.length;
  for (const [i, tok] of prefix.entries()) {
    if (tok.rank !== 3 || tok.shape[0] !== 1 || tok.shape[1] !== 1 || tok.shape[2] !== d) {
      throw new ShapeError(`prefix token ${i}`, `expected [1, 1, ${d}], got [${tok.shape.join(', ')}]`);
    }
  }
  if (posEmbed.rank !== 3 || posEmbed.shape[0] !== 1 || posEmbed.shape[1] !== t + n || posEmbed.shape[2] !== d) {
    throw new ShapeError('pos_embed', `expected [1, ${t + n}, ${d}], got [${posEmbed.shape.join(', ')}]`);
  }
  return tf.tidy(() => {
    const parts = prefix.map((tok) => tf.broadcastTo(tok, [b, 1, d]));
    const tokens = t > 0 ? tf.concat([...parts, patches], 1) : patches;
    return tf.add(tokens, posEmbed) as tf.Tensor3D;
  });
}
