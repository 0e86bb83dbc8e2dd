import { ConfigError, type ParamInfo, type StateDict, tf, toTorchLayout } from '@deitjs/core';

/**
 * An exponential moving average of a model's weights (timm ModelEma): after every optimiser update,
 * `ema ← decay·ema + (1 − decay)·model` on every state entry (parameters and buffers).
 * deit enables it by default with decay 0.99996 but reports results without it.
 */
export class ModelEma {
  private readonly shadow = new Map<string, { source: ParamInfo; value: tf.Variable }>();

  /** Starts the average at the current weights of `params` (a model's `namedParams()`). */
  constructor(
    params: ReadonlyMap<string, ParamInfo>,
    readonly decay: number,
  ) {
    if (!(decay >= 0 && decay <= 1)) throw new ConfigError('ema.decay', `must be in [0, 1], got ${decay}`);
    for (const [name, info] of params) {
      this.shadow.set(name, { source: info, value: tf.variable(info.variable, false) });
    }
  }

  /** Folds the model's current weights into the average. */
  update(): void {
    const d = this.decay;
    tf.tidy(() => {
      for (const { source, value } of this.shadow.values()) {
        value.assign(tf.add(tf.mul(value, d), tf.mul(source.variable, 1 - d)));
      }
    });
  }

  /** The averaged weights in PyTorch layout by name (a host copy, as `Module.stateDict`). */
  stateDict(): StateDict {
    const out: StateDict = new Map();
    for (const [name, { source, value }] of this.shadow) {
      out.set(name, toTorchLayout(source.layout, value.dataSync() as Float32Array, value.shape));
    }
    return out;
  }

  /** The averaged weights in TF.js layout by name (host copies). */
  values(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const [name, { value }] of this.shadow) out.set(name, value.dataSync() as Float32Array);
    return out;
  }

  /** Restores the average from TF.js-layout values (e.g. a checkpoint); every entry must be present with its size. */
  load(values: ReadonlyMap<string, Float32Array>): void {
    for (const [name, { value }] of this.shadow) {
      const v = values.get(name);
      if (v === undefined) throw new ConfigError('ema', `no averaged value for ${name}`);
      if (v.length !== value.size) throw new ConfigError('ema', `${name} holds ${v.length} values, the model ${value.size}`);
    }
    for (const [name, { value }] of this.shadow) {
      tf.tidy(() => value.assign(tf.tensor(values.get(name)!, value.shape, 'float32')));
    }
  }

  /** Frees the averaged copies. */
  dispose(): void {
    for (const { value } of this.shadow.values()) value.dispose();
    this.shadow.clear();
  }
}
