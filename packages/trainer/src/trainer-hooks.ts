import type { EvalMetrics } from './evaluate.js';

/** One optimiser update, as hooks see it. */
export interface StepInfo {
  /** Epoch (0-based). */
  epoch: number;
  /** Micro-batches of this epoch done, this update's included. */
  batch: number;
  /** Micro-batches per epoch. */
  batchesPerEpoch: number;
  /** Optimiser updates done over the run, this one included. */
  update: number;
  /** Mean loss of the micro-batches of this update. */
  loss: number;
  /** Means of the loss's named parts over this update's micro-batches (when the loss returns parts). */
  parts?: Record<string, number>;
  /** Learning rate of this update. */
  lr: number;
  /** Global gradient norm before clipping (only when clipping is on; reading it costs a sync). */
  gradNorm?: number;
  /** Images in this update. */
  images: number;
}

/** A finished epoch, as hooks and `metrics.jsonl` see it. */
export interface EpochRecord {
  /** Always `epoch`. */
  type: 'epoch';
  /** Epoch (0-based). */
  epoch: number;
  /** Optimiser updates done after this epoch. */
  update: number;
  /** Mean training loss over the epoch's micro-batches. */
  trainLoss: number;
  /** Epoch means of the loss's named parts (when the loss returns parts). */
  trainLossParts?: Record<string, number>;
  /** Learning rate of the epoch's last update. */
  lr: number;
  /** Wall time of the epoch in seconds (this process's part of it after a resume). */
  seconds: number;
  /** Evaluation, when run this epoch. */
  eval?: EvalMetrics;
  /** Whether this epoch is the best so far. */
  best: boolean;
}

/** Callbacks; async ones are awaited. */
export interface TrainerHooks {
  /** After every optimiser update. */
  onStep?(info: StepInfo): void | Promise<void>;
  /** After every epoch (after its evaluation and checkpoints). */
  onEpochEnd?(record: EpochRecord): void | Promise<void>;
  /**
   * A warning about the run (a warmup as long as the run, a resume with another teacher); default: the progress
   * display as a `warning: …` line, or `console.warn` when progress is off.
   */
  onWarning?(message: string): void;
}
