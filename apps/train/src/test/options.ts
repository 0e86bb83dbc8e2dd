// Short MNIST runs for the app's tests (not exported from the package).
import { DEFAULT_OPTIONS, type TrainOptions } from '../options.js';
import type { TrainIO } from '../io.js';

/** A small MNIST run with the main job's light augmentation (±2 px shifts; no RandAugment, erasing or mixing). */
export function quickMnistOptions(overrides: Partial<TrainOptions>): TrainOptions {
  return {
    ...DEFAULT_OPTIONS,
    data: 'mnist',
    inputSize: 32,
    batchSize: 10,
    unscaleLr: true,
    warmupEpochs: 1,
    aa: 'none',
    reprob: 0,
    mixup: 0,
    cutmix: 0,
    shift: 2,
    ...overrides,
  };
}

/** Streams that discard everything. */
export const QUIET_IO: TrainIO = { stdout: { write: () => true }, stderr: { write: () => true }, env: {} };
