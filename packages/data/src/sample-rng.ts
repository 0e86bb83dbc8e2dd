import { Rng } from '@deitjs/core';

function mix32(h: number, v: number): number {
  h = Math.imul(h ^ (v >>> 0), 0x9e3779b1) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca77) >>> 0;
  return (h ^ (h >>> 13)) >>> 0;
}

/**
 * A generator determined only by (seed, stream, epoch, slot): each sample's augmentation draws from its
 * own generator, so batches do not depend on how samples are spread over worker threads.
 */
export function derivedRng(seed: number, stream: number, epoch: number, slot: number): Rng {
  let a = mix32(0x243f6a88, seed);
  a = mix32(a, Math.floor(seed / 2 ** 32));
  a = mix32(a, stream);
  a = mix32(a, epoch);
  let b = mix32(a, slot);
  a = mix32(b, 0x7f4a7c15);
  b = mix32(b, Math.floor(slot / 2 ** 32));
  return new Rng((a >>> 11) * 2 ** 32 + b);
}

/** Stream ids of {@link derivedRng}: the sample order, per-sample augmentation, per-batch mixing. */
export const RNG_STREAM = { order: 1, sample: 2, batch: 3 } as const;
