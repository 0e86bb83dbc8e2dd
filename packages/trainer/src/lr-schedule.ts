import { ConfigError } from '@deitjs/core';

/** Parameters of timm's CosineLRScheduler as deit configures it (cycle_limit 1, warmup_prefix false). */
export interface CosineLrOptions {
  /** Peak learning rate (after {@link scaleLr}). */
  lr: number;
  /** Floor of the cosine (`--min-lr`, deit 1e-5). */
  minLr?: number;
  /** Learning rate at t = 0 of the warmup (`--warmup-lr`, deit 1e-6). */
  warmupLr?: number;
  /** Warmup length in schedule units (deit: 5 epochs). */
  warmupT?: number;
  /** Cosine length in schedule units (deit: `epochs`). */
  tInitial: number;
}

function checkSchedule(o: CosineLrOptions): Required<CosineLrOptions> {
  const r = { minLr: 1e-5, warmupLr: 1e-6, warmupT: 5, ...o };
  for (const [k, v] of Object.entries(r)) {
    if (!Number.isFinite(v) || v < 0) throw new ConfigError(k, `must be a finite number ≥ 0, got ${v}`);
  }
  if (r.tInitial <= 0) throw new ConfigError('tInitial', `must be > 0, got ${r.tInitial}`);
  return r;
}

/**
 * timm CosineLRScheduler's value at time t (deit-spec §4.2): a linear warmup from `warmupLr` for t < warmupT,
 * else `minLr + ½(lr − minLr)(1 + cos(π·t/tInitial))` measured from t = 0 (not from the end of warmup),
 * and `minLr` once t ≥ tInitial (cycle_limit 1).
 */
export function cosineLr(t: number, options: CosineLrOptions): number {
  const o = checkSchedule(options);
  if (t < o.warmupT) return o.warmupLr + (t * (o.lr - o.warmupLr)) / o.warmupT;
  if (t >= o.tInitial) return o.minLr;
  return o.minLr + 0.5 * (o.lr - o.minLr) * (1 + Math.cos((Math.PI * t) / o.tInitial));
}

/**
 * deit's learning-rate scaling: `lr · batchSize · worldSize / 512`, where batchSize is the per-process batch
 * of one optimiser update (micro-batch × accumulation steps).
 */
export function scaleLr(lr: number, batchSize: number, worldSize = 1): number {
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new ConfigError('batchSize', `must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(worldSize) || worldSize <= 0) throw new ConfigError('worldSize', `must be a positive integer, got ${worldSize}`);
  return (lr * batchSize * worldSize) / 512;
}

/**
 * When the learning rate changes:
 * - `deit-epoch`: what deit's main.py does. The scheduler is stepped with `step(epoch)` *after* epoch `epoch`, and
 *   the optimiser starts at `warmupLr`, so epoch 0 and epoch 1 both run at f(0) = warmupLr and epoch e ≥ 1 runs at
 *   f(e − 1): a one-epoch lag, and the peak is never hit exactly. Choose it to reproduce deit runs.
 * - `epoch`: timm's intent: epoch e runs at f(e).
 * - `step`: timm's per-update variant (`t_in_epochs=False`): update u (0-based, counted over the whole run)
 *   runs at f(u), with warmup and cosine lengths converted to updates (epochs × updates per epoch).
 */
export type LrStepping = 'deit-epoch' | 'epoch' | 'step';

/** Options of {@link LrSchedule}. */
export interface LrScheduleOptions {
  /** Peak learning rate (after scaling). */
  lr: number;
  /** Cosine floor (deit 1e-5). */
  minLr?: number;
  /** Warmup start (deit 1e-6). */
  warmupLr?: number;
  /** Warmup length in epochs (deit 5). */
  warmupEpochs?: number;
  /** Total epochs: the cosine length. */
  epochs: number;
  /** Optimiser updates per epoch (needed by `step` stepping). */
  updatesPerEpoch: number;
  /** When the rate changes (default `deit-epoch`). */
  stepping?: LrStepping;
}

/** The learning rate for every optimiser update of a run, by epoch and update index; stateless, so resume needs no state. */
export class LrSchedule {
  /** The resolved options. */
  readonly options: Readonly<Required<LrScheduleOptions>>;

  constructor(options: LrScheduleOptions) {
    this.options = { minLr: 1e-5, warmupLr: 1e-6, warmupEpochs: 5, stepping: 'deit-epoch', ...options };
    const { stepping, updatesPerEpoch, epochs } = this.options;
    if (!['deit-epoch', 'epoch', 'step'].includes(stepping)) throw new ConfigError('stepping', `unknown value "${stepping}" (deit-epoch, epoch or step)`);
    if (!Number.isInteger(updatesPerEpoch) || updatesPerEpoch <= 0) throw new ConfigError('updatesPerEpoch', `must be a positive integer, got ${updatesPerEpoch}`);
    if (!Number.isInteger(epochs) || epochs <= 0) throw new ConfigError('epochs', `must be a positive integer, got ${epochs}`);
    // Validate the cosine parameters once, here, rather than on the first step.
    this.lrAt(0, 0);
  }

  /** The learning rate of update `update` (0-based, whole run) which belongs to epoch `epoch`. */
  lrAt(epoch: number, update: number): number {
    const o = this.options;
    const cos = { lr: o.lr, minLr: o.minLr, warmupLr: o.warmupLr };
    if (o.stepping === 'step') {
      return cosineLr(update, { ...cos, warmupT: o.warmupEpochs * o.updatesPerEpoch, tInitial: o.epochs * o.updatesPerEpoch });
    }
    const t = o.stepping === 'deit-epoch' ? Math.max(epoch - 1, 0) : epoch;
    return cosineLr(t, { ...cos, warmupT: o.warmupEpochs, tInitial: o.epochs });
  }
}
