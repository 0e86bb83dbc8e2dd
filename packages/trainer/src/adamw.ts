import { ConfigError, ShapeError, tf } from '@deitjs/core';
import type { ParamGroup } from './param-groups.js';

/** Hyper-parameters of {@link AdamW} (PyTorch `torch.optim.AdamW` names and defaults, deit's eps). */
export interface AdamWOptions {
  /** Adam β1, β2 (default 0.9, 0.999). */
  betas?: [number, number];
  /** Added to √v̂ (default 1e-8). */
  eps?: number;
}

/** The optimiser state of one parameter, as PyTorch keeps it (host copy, TF.js layout). */
export interface AdamWParamState {
  /** Number of updates this parameter has received. */
  step: number;
  /** First moment. */
  expAvg: Float32Array;
  /** Second moment. */
  expAvgSq: Float32Array;
  /** TF.js shape of both moments (the parameter's shape). */
  shape: number[];
}

interface Slot {
  step: number;
  expAvg: tf.Variable;
  expAvgSq: tf.Variable;
}

function variableFrom(data: Float32Array, shape: number[]): tf.Variable {
  const t = tf.tensor(data, shape, 'float32');
  const v = tf.variable(t, false);
  t.dispose();
  return v;
}

function checkBeta(name: string, b: number): void {
  if (!(b >= 0 && b < 1)) throw new ConfigError(name, `must be in [0, 1), got ${b}`);
}

/**
 * AdamW with decoupled weight decay, exactly PyTorch's update order per parameter:
 * `p ← p·(1 − lr·wd)`, `m ← β1·m + (1−β1)·g`, `v ← β2·v + (1−β2)·g²`,
 * `p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + eps)`.
 * Each parameter keeps its own step count, and a parameter without a gradient in an update is skipped
 * entirely (no decay either), as PyTorch skips parameters whose `.grad` is None.
 */
export class AdamW {
  private readonly slots = new Map<string, Slot>();
  private readonly decayOf = new Map<string, number>();
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;

  /** An optimiser over `variables` (by name) split into `groups` (see {@link paramGroups}). */
  constructor(
    private readonly variables: ReadonlyMap<string, tf.Variable>,
    groups: readonly ParamGroup[],
    options: AdamWOptions = {},
  ) {
    [this.beta1, this.beta2] = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    checkBeta('betas[0]', this.beta1);
    checkBeta('betas[1]', this.beta2);
    if (!(this.eps >= 0)) throw new ConfigError('eps', `must be ≥ 0, got ${this.eps}`);
    for (const g of groups) {
      for (const name of g.params) {
        if (!variables.has(name)) throw new ConfigError('paramGroups', `parameter ${name} is not among the trainable variables`);
        if (this.decayOf.has(name)) throw new ConfigError('paramGroups', `parameter ${name} is in two groups`);
        this.decayOf.set(name, g.weightDecay);
      }
    }
    for (const name of variables.keys()) {
      if (!this.decayOf.has(name)) throw new ConfigError('paramGroups', `parameter ${name} is in no group`);
    }
  }

  /** Weight decay applied to a parameter. */
  weightDecayOf(name: string): number {
    const wd = this.decayOf.get(name);
    if (wd === undefined) throw new ConfigError('parameter', `unknown parameter ${name}`);
    return wd;
  }

  /** Applies one update with learning rate `lr`, given gradients by parameter name (the caller keeps ownership of them). */
  step(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    if (!Number.isFinite(lr) || lr < 0) throw new ConfigError('lr', `must be a finite number ≥ 0, got ${lr}`);
    for (const [name, g] of grads) {
      const p = this.variables.get(name);
      if (p === undefined) throw new ConfigError('grads', `gradient for unknown parameter ${name}`);
      if (g.shape.length !== p.shape.length || g.shape.some((d, i) => d !== p.shape[i])) {
        throw new ShapeError(`grads[${name}]`, `shape [${g.shape.join(',')}] does not match the parameter [${p.shape.join(',')}]`);
      }
    }
    const { beta1, beta2, eps } = this;
    for (const [name, g] of grads) {
      const p = this.variables.get(name)!;
      const slot = this.slotFor(name, p);
      slot.step += 1;
      const wd = this.decayOf.get(name)!;
      // Scalars are computed in float64 here, then rounded once to float32, like PyTorch's Python-scalar arithmetic.
      const bias1 = 1 - beta1 ** slot.step;
      const bias2Sqrt = Math.sqrt(1 - beta2 ** slot.step);
      // One tidy per parameter frees its ~10 temporaries before the next parameter: a single tidy over the whole
      // model would hold them for every parameter at once (≈ 4.8 GB for DeiT-base's 86M parameters, beyond wasm's heap).
      tf.tidy(() => {
        const decayed = wd === 0 ? p : tf.mul(p, 1 - lr * wd);
        const m = tf.add(tf.mul(slot.expAvg, beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(slot.expAvgSq, beta2), tf.mul(tf.mul(g, g), 1 - beta2));
        const denom = tf.add(tf.div(tf.sqrt(v), bias2Sqrt), eps);
        const next = tf.sub(decayed, tf.mul(tf.div(m, denom), lr / bias1));
        slot.expAvg.assign(m);
        slot.expAvgSq.assign(v);
        p.assign(next);
      });
    }
  }

  private slotFor(name: string, p: tf.Variable): Slot {
    let slot = this.slots.get(name);
    if (slot === undefined) {
      // Created once, on a parameter's first update (as PyTorch does), then updated in place.
      slot = { step: 0, expAvg: variableFrom(new Float32Array(p.size), p.shape), expAvgSq: variableFrom(new Float32Array(p.size), p.shape) };
      this.slots.set(name, slot);
    }
    return slot;
  }

  /** A host copy of the state of every parameter that has been updated at least once, by name (a checkpoint read). */
  state(): Map<string, AdamWParamState> {
    const out = new Map<string, AdamWParamState>();
    for (const [name, s] of this.slots) {
      out.set(name, {
        step: s.step,
        expAvg: s.expAvg.dataSync() as Float32Array,
        expAvgSq: s.expAvgSq.dataSync() as Float32Array,
        shape: [...s.expAvg.shape],
      });
    }
    return out;
  }

  /** Replaces the state with `state` (from {@link AdamW.state} or a checkpoint); names and shapes are checked first. */
  loadState(state: ReadonlyMap<string, AdamWParamState>): void {
    for (const [name, s] of state) {
      const p = this.variables.get(name);
      if (p === undefined) throw new ConfigError('optimizer state', `state for unknown parameter ${name}`);
      const n = p.size;
      if (s.shape.length !== p.shape.length || s.shape.some((d, i) => d !== p.shape[i]) || s.expAvg.length !== n || s.expAvgSq.length !== n) {
        throw new ShapeError(`optimizer state[${name}]`, `shape [${s.shape.join(',')}] does not match the parameter [${p.shape.join(',')}]`);
      }
      if (!Number.isInteger(s.step) || s.step < 0) throw new ConfigError(`optimizer state[${name}].step`, `must be an integer ≥ 0, got ${s.step}`);
    }
    this.disposeSlots();
    for (const [name, s] of state) {
      this.slots.set(name, {
        step: s.step,
        expAvg: variableFrom(s.expAvg, s.shape),
        expAvgSq: variableFrom(s.expAvgSq, s.shape),
      });
    }
  }

  private disposeSlots(): void {
    for (const s of this.slots.values()) {
      s.expAvg.dispose();
      s.expAvgSq.dispose();
    }
    this.slots.clear();
  }

  /** Frees the optimiser's moment tensors. */
  dispose(): void {
    this.disposeSlots();
  }
}
