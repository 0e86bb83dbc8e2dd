import { DeitError } from '@deitjs/core';

/** The training loss became NaN or ±Infinity: the run stops before the update, and no checkpoint is written. */
export class NonFiniteLossError extends DeitError {
  /** Epoch of the bad batch (0-based). */
  readonly epoch: number;
  /** Index of the bad batch within its epoch (0-based). */
  readonly batch: number;
  /** The loss value. */
  readonly value: number;
  constructor(epoch: number, batch: number, value: number) {
    super(
      'E_NONFINITE_LOSS',
      `loss is ${value} at epoch ${epoch}, batch ${batch}; training stopped before the update, the last checkpoint is unchanged ` +
        '(try a lower learning rate or gradient clipping)',
    );
    this.epoch = epoch;
    this.batch = batch;
    this.value = value;
  }
}
