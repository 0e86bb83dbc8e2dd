import { tf } from '@deitjs/core';
import { type DeiT, clsDistCosine } from '@deitjs/models';

/** What the page shows inside a distilled DeiT for one image. */
export interface InsideView {
  /** Layer names of the cosine rows (`pos_drop`, `blocks.0` … , `norm`). */
  layers: string[];
  /** cos(cls token, dist token) after each layer. */
  cosine: number[];
  /** Patch grid `[rows, cols]`. */
  grid: [number, number];
  /** Attention of the cls and dist tokens over the patches in the last block (mean over heads), each rows × cols. */
  last: { cls: Float32Array; dist: Float32Array };
  /** Attention rollout (Abnar & Zuidema 2020) of the cls and dist tokens over the patches, each rows × cols. */
  rollout: { cls: Float32Array; dist: Float32Array };
}

/**
 * Attention probabilities of every block, mean over heads, `[depth, T, T]`, recomputed from each block's input
 * (the encoder's own fused op does not return them): `softmax(q·kᵀ · hd^−½)` of `norm1(x)`'s `qkv` projection.
 */
export function attentionByLayer(model: DeiT, inputs: tf.Tensor3D[]): tf.Tensor3D {
  return tf.tidy(() => {
    const maps = model.encoder.blocks.map((block, i) => {
      const x = inputs[i]!;
      const [b, n] = x.shape;
      const { numHeads: h, headDim: hd, scale } = block.attn;
      const qkv = tf.transpose(tf.reshape(block.attn.qkv.apply(block.norm1.apply(x)), [b, n, 3, h, hd]), [2, 0, 3, 1, 4]);
      const [q, k] = tf.unstack(qkv).slice(0, 2) as [tf.Tensor4D, tf.Tensor4D];
      const probs = tf.softmax(tf.mul(tf.matMul(q, k, false, true), scale));
      return tf.mean(probs, [0, 1]) as tf.Tensor2D; // one image: mean over the batch of 1 and the heads
    });
    return tf.stack(maps) as tf.Tensor3D;
  });
}

/**
 * Rollout of per-layer attention `[depth, T, T]`: each layer's map with the residual added (`½A + ½I`), rows
 * renormalised, multiplied from the first layer to the last; row `t` is how much token `t` draws from each input token.
 */
export function attentionRollout(maps: Float32Array, depth: number, t: number): Float32Array {
  let acc = new Float32Array(t * t);
  for (let i = 0; i < t; i++) acc[i * t + i] = 1;
  for (let l = 0; l < depth; l++) {
    const a = new Float32Array(t * t);
    for (let r = 0; r < t; r++) {
      let s = 0;
      for (let c = 0; c < t; c++) {
        const v = 0.5 * maps[l * t * t + r * t + c]! + (r === c ? 0.5 : 0);
        a[r * t + c] = v;
        s += v;
      }
      for (let c = 0; c < t; c++) a[r * t + c]! /= s;
    }
    const next = new Float32Array(t * t);
    for (let r = 0; r < t; r++) for (let k = 0; k < t; k++) {
      const v = a[r * t + k]!;
      if (v !== 0) for (let c = 0; c < t; c++) next[r * t + c]! += v * acc[k * t + c]!;
    }
    acc = next;
  }
  return acc;
}

/** Row `row` of a `t × t` matrix restricted to the patch columns (after `prefix` tokens), rescaled to sum 1. */
function patchRow(m: Float32Array, t: number, row: number, prefix: number): Float32Array {
  const out = m.slice(row * t + prefix, (row + 1) * t);
  const s = out.reduce((a, b) => a + b, 0);
  return s > 0 ? out.map((v) => v / s) : out;
}

/** The cosines and attention maps of one image `[1, H, W, C]` (normalised) through a distilled DeiT. */
export function lookInside(model: DeiT, image: tf.Tensor4D): InsideView {
  const { layers, cosine, cls, dist } = clsDistCosine(model, image);
  const cos = Array.from(cosine.dataSync());
  tf.dispose([cosine, cls, dist]);
  const inter = model.forwardIntermediates(image, { training: false });
  try {
    const depth = model.encoder.blocks.length;
    const inputs = ['pos_drop', ...Array.from({ length: depth - 1 }, (_, i) => `blocks.${i}`)].map((k) => inter.get(k)!);
    const mapsT = attentionByLayer(model, inputs);
    const maps = mapsT.dataSync() as Float32Array;
    const t = mapsT.shape[1];
    mapsT.dispose();
    const lastMap = maps.subarray((depth - 1) * t * t);
    const roll = attentionRollout(maps, depth, t);
    const p = model.numPrefixTokens;
    return {
      layers,
      cosine: cos,
      grid: model.gridSize,
      last: { cls: patchRow(lastMap, t, 0, p), dist: patchRow(lastMap, t, 1, p) },
      rollout: { cls: patchRow(roll, t, 0, p), dist: patchRow(roll, t, 1, p) },
    };
  } finally {
    tf.dispose([...inter.values()]);
  }
}
