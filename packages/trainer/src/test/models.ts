// Tiny models and teachers for the trainer's tests.
import { type ApplyOptions, type DistilledLogits, type Layout, Module, Rng, type Teacher, tf } from '@deitjs/core';
import type { Student } from '../student.js';

/** A module holding arbitrary named parameters (for grouping and optimiser tests). */
export class ParamBag extends Module {
  constructor(entries: ReadonlyArray<[string, number[], Layout?]>, seed = 1) {
    super();
    const rng = new Rng(seed);
    for (const [name, shape, layout] of entries) {
      const n = shape.reduce((a, b) => a * b, 1);
      this.addParam(name, tf.tensor(rng.uniformArray(n, -1, 1), shape, 'float32'), layout ?? 'as-is');
    }
  }
}

/** Options of {@link TinyMlp}. */
export interface TinyMlpOptions {
  inputs: number;
  hidden: number;
  classes: number;
  distilled?: boolean;
  /** Dropout on the hidden layer while training, with masks from the passed rng (exercises RNG state on resume). */
  dropout?: number;
  seed?: number;
}

/** A 2-layer MLP classifier on flattened images, optionally with a second (`head_dist`) head like a distilled DeiT. */
export class TinyMlp extends Module implements Student {
  readonly numClasses: number;
  readonly distilled: boolean;
  private readonly fc1w: tf.Variable;
  private readonly fc1b: tf.Variable;
  private readonly headw: tf.Variable;
  private readonly headb: tf.Variable;
  private readonly distw: tf.Variable | undefined;
  private readonly distb: tf.Variable | undefined;
  private readonly dropout: number;

  constructor(o: TinyMlpOptions) {
    super();
    const rng = new Rng(o.seed ?? 1);
    this.numClasses = o.classes;
    this.distilled = o.distilled ?? false;
    this.dropout = o.dropout ?? 0;
    const lin = (inp: number, out: number): tf.Tensor => tf.tensor(rng.truncNormalArray(inp * out, 1 / Math.sqrt(inp)), [inp, out]);
    this.fc1w = this.addParam('fc1.weight', lin(o.inputs, o.hidden), 'linear');
    this.fc1b = this.addParam('fc1.bias', tf.zeros([o.hidden]));
    this.headw = this.addParam('head.weight', lin(o.hidden, o.classes), 'linear');
    this.headb = this.addParam('head.bias', tf.zeros([o.classes]));
    if (this.distilled) {
      this.distw = this.addParam('head_dist.weight', lin(o.hidden, o.classes), 'linear');
      this.distb = this.addParam('head_dist.bias', tf.zeros([o.classes]));
    }
  }

  apply(images: tf.Tensor4D, options: ApplyOptions): tf.Tensor2D | DistilledLogits {
    return tf.tidy(() => {
      const x = tf.reshape(images, [images.shape[0], -1]);
      let h = tf.relu(tf.add(tf.matMul(x, this.fc1w), this.fc1b));
      if (options.training && this.dropout > 0) {
        if (options.rng === undefined) throw new Error('dropout needs an rng');
        const keep = 1 - this.dropout;
        const mask = Float32Array.from({ length: h.size }, () => (options.rng!.bernoulli(keep) ? 1 / keep : 0));
        h = tf.mul(h, tf.tensor(mask, h.shape));
      }
      const cls = tf.add(tf.matMul(h, this.headw), this.headb) as tf.Tensor2D;
      if (!this.distilled) return cls;
      const dist = tf.add(tf.matMul(h, this.distw!), this.distb!) as tf.Tensor2D;
      if (options.training || options.returnBoth) return { cls, dist };
      return tf.div(tf.add(cls, dist), 2) as tf.Tensor2D;
    });
  }
}

/** Every trainable variable's values (TF.js layout), by name. */
export function snapshot(m: Module): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [k, v] of m.trainableVariables()) out.set(k, v.dataSync() as Float32Array);
  return out;
}

/** A teacher made of a (non-distilled) classifier: eval-mode logits, no gradients. */
export function teacherOf(model: TinyMlp, name = 'tiny-teacher'): Teacher {
  return {
    numClasses: model.numClasses,
    name,
    predict: (images) => tf.tidy(() => model.apply(images, { training: false }) as tf.Tensor2D),
  };
}

