import { tf } from '@deitjs/core';
import type { GradientResult } from './loss-gradients.js';

/** Adds every value of `from` into `into`, by name. */
export function addInto(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/** A copy of `r` with every value multiplied by `f`. */
export function scaled(r: Record<string, number>, f: number): Record<string, number> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v * f]));
}

/** The micro-batches of one optimiser update, averaged. */
export interface AccumulatedUpdate {
  /** Mean gradient per trainable variable (the caller disposes them). */
  grads: Map<string, tf.Tensor>;
  /** Number of micro-batches averaged. */
  count: number;
  /** Mean loss of the micro-batches. */
  loss: number;
  /** Means of the loss's named parts. */
  parts: Record<string, number>;
  /** Images over all the micro-batches. */
  images: number;
}

/** Sums the gradients, losses, loss parts and image counts of the micro-batches of one optimiser update. */
export class GradientAccumulator {
  private sum: Map<string, tf.Tensor> | undefined;
  private count = 0;
  private loss = 0;
  private images = 0;
  private parts: Record<string, number> = {};

  /** Micro-batches added since the last {@link take}. */
  get size(): number {
    return this.count;
  }

  /** Adds one micro-batch's result; takes ownership of its gradients. */
  add(r: GradientResult, images: number): void {
    if (this.sum === undefined) {
      this.sum = r.grads;
    } else {
      for (const [k, g] of r.grads) {
        const prev = this.sum.get(k);
        if (prev === undefined) {
          this.sum.set(k, g);
        } else {
          this.sum.set(k, tf.add(prev, g));
          prev.dispose();
          g.dispose();
        }
      }
    }
    this.count += 1;
    this.loss += r.loss;
    addInto(this.parts, r.parts);
    this.images += images;
  }

  /** The mean over the micro-batches added so far (at least one); empties the accumulator. */
  take(): AccumulatedUpdate {
    const sum = this.sum;
    if (sum === undefined) throw new Error('GradientAccumulator.take() with nothing accumulated');
    const count = this.count;
    const out = { count, loss: this.loss / count, parts: scaled(this.parts, 1 / count), images: this.images };
    this.sum = undefined;
    this.reset();
    if (count === 1) return { grads: sum, ...out };
    try {
      return { grads: new Map([...sum].map(([k, g]) => [k, tf.div(g, count)])), ...out };
    } finally {
      for (const g of sum.values()) g.dispose();
    }
  }

  /** Frees what is accumulated (a loop that ends early). */
  dispose(): void {
    if (this.sum !== undefined) for (const g of this.sum.values()) g.dispose();
    this.sum = undefined;
    this.reset();
  }

  private reset(): void {
    this.count = 0;
    this.loss = 0;
    this.images = 0;
    this.parts = {};
  }
}
