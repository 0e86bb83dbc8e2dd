// Compares a custom-gradient layer with the plain composition of ops it replaces: same loss Σ out ⊙ r,
// tf.variableGrads of both, error of each gradient relative to the plain one's largest magnitude.
import { maxAbsDiff, tf } from '@deitjs/core';
import type { Attention } from '../attention.js';
import type { Block } from '../block.js';
import { dropPath } from '../drop-path.js';
import { geluParts } from '../gelu.js';
import type { LayerNorm } from '../layer-norm.js';
import type { Mlp } from '../mlp.js';
import type { ForwardOptions } from '../options.js';

/** Largest |a − b| over the largest |b| (b the reference). */
export function relMaxErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  return maxAbsDiff(a, b) / (scale === 0 ? 1 : scale);
}

/** Per-variable relative error of the custom path's gradients (and `output`: of the forward values). */
export function compareWithPlain(
  custom: () => tf.Tensor,
  plain: () => tf.Tensor,
  variables: Map<string, tf.Variable>,
  r: tf.Tensor,
): Map<string, number> {
  const list = [...variables.values()];
  const run = (f: () => tf.Tensor): { out: Float32Array; grads: Float32Array[] } => {
    const out = tf.tidy(() => f().dataSync() as Float32Array);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(f(), r)) as tf.Scalar, list);
    const g = list.map((v) => grads[v.name]!.dataSync() as Float32Array);
    tf.dispose([value, ...Object.values(grads)]);
    return { out, grads: g };
  };
  const a = run(custom);
  const b = run(plain);
  const errs = new Map<string, number>([['output', relMaxErr(a.out, b.out)]]);
  for (const [i, name] of [...variables.keys()].entries()) errs.set(name, relMaxErr(a.grads[i]!, b.grads[i]!));
  return errs;
}

/** tf.memory().numTensors before and after one training step (forward, gradients, disposal). */
export function tensorsAroundStep(loss: () => tf.Scalar, variables: tf.Variable[]): [number, number] {
  const before = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(loss, variables);
  tf.dispose([value, ...Object.values(grads)]);
  return [before, tf.memory().numTensors];
}

// The layers' forwards as they were before the custom gradients: plain op compositions that tfjs
// differentiates op by op, the reference the custom backwards are compared with.

/** LayerNorm over the last axis from plain ops. */
export function plainLayerNorm(ln: LayerNorm, x: tf.Tensor): tf.Tensor {
  const v = ln.trainableVariables();
  const centred = tf.sub(x, tf.mean(x, -1, true));
  const variance = tf.mean(tf.square(centred), -1, true);
  return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, ln.eps))), v.get('weight')!), v.get('bias')!);
}

/** Attention from plain ops (the Linear layers' own applies, split, softmax, transposes). */
export function plainAttention(attn: Attention, x: tf.Tensor3D): tf.Tensor3D {
  const [b, n, d] = x.shape;
  const [h, hd] = [attn.numHeads, attn.headDim];
  const qkv = tf.transpose(tf.reshape(attn.qkv.apply(x), [b, n, 3 * h, hd]), [0, 2, 1, 3]);
  const [q, k, v] = tf.split(qkv, 3, 1).map((t) => tf.reshape(t, [b * h, n, hd]) as tf.Tensor3D) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
  const p = tf.softmax(tf.matMul(tf.mul(q, attn.scale), k, false, true)) as tf.Tensor3D;
  return attn.proj.apply(tf.reshape(tf.transpose(tf.reshape(tf.matMul(p, v), [b, h, n, hd]), [0, 2, 1, 3]), [b, n, d]));
}

/** fc1 → GELU (op by op) → fc2. */
export function plainMlp(mlp: Mlp, x: tf.Tensor): tf.Tensor {
  return mlp.fc2.apply(geluParts(mlp.fc1.apply(x)).y);
}

/** A pre-norm block from the plain layers and tf.add, drop path drawn from `options.rng` as the Block does. */
export function plainBlock(block: Block, x: tf.Tensor3D, options: ForwardOptions): tf.Tensor3D {
  const { training, rng } = options;
  const y = tf.add(x, dropPath(plainAttention(block.attn, plainLayerNorm(block.norm1, x) as tf.Tensor3D), block.dropPathRate, training, rng)) as tf.Tensor3D;
  return tf.add(y, dropPath(plainMlp(block.mlp, plainLayerNorm(block.norm2, y)), block.dropPathRate, training, rng)) as tf.Tensor3D;
}
