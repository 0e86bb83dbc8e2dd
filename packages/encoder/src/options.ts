import type { Rng } from '@deitjs/core';

/** Options of a forward pass through an encoder module. */
export interface ForwardOptions {
  /** Training mode: drop path active. */
  training: boolean;
  /** Seeded generator for drop path; needed when training with a drop-path rate above 0. */
  rng?: Rng;
}
