import { type Classifier, ConfigError, ShapeError, tf } from '@deitjs/core';

/** One of an image's most probable classes. */
export interface ClassScore {
  /** Class index. */
  index: number;
  /** Class name, when labels are known. */
  label?: string;
  /** Softmax probability. */
  score: number;
}

/**
 * An image's most probable classes: `top` is the model's eval-mode answer (for a distilled DeiT the mean of its two
 * heads' logits); `heads` ranks each head of a distilled DeiT on its own.
 */
export interface Classification {
  top: ClassScore[];
  heads?: { cls: ClassScore[]; dist: ClassScore[] };
}

/** Options of {@link classifyTensor}. */
export interface ClassifyTensorOptions {
  /** How many classes to keep per image (default 5, at most the class count). */
  topK?: number;
  /** A name per class (e.g. `IMAGENET_CLASSES`); its length must be the model's class count. */
  labels?: readonly string[];
}

/** The `k` largest of `probs`, ties broken by the lower class index. */
function topClasses(probs: Float32Array, k: number, labels: readonly string[] | undefined): ClassScore[] {
  const order = Array.from(probs.keys()).sort((a, b) => probs[b]! - probs[a]! || a - b);
  return order.slice(0, k).map((index) => ({ index, ...(labels === undefined ? {} : { label: labels[index]! }), score: probs[index]! }));
}

/**
 * Classifies a batch of preprocessed NHWC images (`[B, H, W, 3]`, normalised as the model expects) in eval mode:
 * per image its top-k classes with softmax scores, and for a distilled DeiT each head's own. Leaves no tensors.
 */
export function classifyTensor(model: Classifier, images: tf.Tensor4D, options: ClassifyTensorOptions = {}): Classification[] {
  if (images.rank !== 4) throw new ShapeError('images', `expected NHWC [batch, height, width, 3], got [${images.shape.join(', ')}]`);
  const classes = model.numClasses;
  const labels = options.labels;
  if (labels !== undefined && labels.length !== classes) throw new ConfigError('labels', `${labels.length} names for a model of ${classes} classes`);
  const topK = options.topK ?? 5;
  if (!Number.isInteger(topK) || topK < 1) throw new ConfigError('topK', `must be a positive integer, got ${topK}`);
  const k = Math.min(topK, classes);
  const [mean, cls, dist] = tf.tidy(() => {
    const out = model.apply(images, { training: false, returnBoth: true });
    if (out instanceof tf.Tensor) return [tf.softmax(out)];
    return [tf.softmax(tf.div(tf.add(out.cls, out.dist), 2)), tf.softmax(out.cls), tf.softmax(out.dist)];
  });
  const read = (t: tf.Tensor | undefined): Float32Array | undefined => (t === undefined ? undefined : (t.dataSync() as Float32Array));
  const [pm, pc, pd] = [read(mean), read(cls), read(dist)];
  tf.dispose([mean, cls, dist].filter((t): t is tf.Tensor => t !== undefined));
  return Array.from({ length: images.shape[0] }, (_, i) => {
    const row = (p: Float32Array) => topClasses(p.subarray(i * classes, (i + 1) * classes), k, labels);
    return { top: row(pm!), ...(pc !== undefined && pd !== undefined ? { heads: { cls: row(pc), dist: row(pd) } } : {}) };
  });
}
