import { ConfigError } from '@deitjs/core';
import { derivedRng, RNG_STREAM } from './sample-rng.js';

/** Produces the dataset indices of one epoch, in the order they are to be loaded. */
export interface Sampler {
  /** Number of indices per epoch. */
  readonly length: number;
  /** The indices of epoch `epoch`. */
  indices(epoch: number): Int32Array;
}

/** A plain sampler: every index once per epoch, shuffled by (seed, epoch) or in order. */
export function randomSampler(length: number, seed: number, shuffle = true): Sampler {
  return {
    length,
    indices(epoch) {
      if (!shuffle) return Int32Array.from({ length }, (_, i) => i);
      return derivedRng(seed, RNG_STREAM.order, epoch, 0).permutation(length);
    },
  };
}

/** Options of {@link repeatedAugSampler}. */
export interface RepeatedAugOptions {
  /** Copies of each index (default 3). */
  repeats?: number;
  /** Number of processes sharing the epoch (world size, default 1). */
  numReplicas?: number;
  /** This process's rank (default 0). */
  rank?: number;
  /** Shuffle (default true). */
  shuffle?: boolean;
  /**
   * The whole world keeps floor(len / m)·m indices per epoch (DeiT: 256); set 1 to keep them all
   * (useful for small data sets, where DeiT's rule would keep none).
   */
  selectMultiple?: number;
}

/**
 * DeiT's RASampler: per epoch a permutation (seeded by seed and epoch) with every index repeated `repeats`
 * times consecutively, padded to divide by the world size; rank r takes every numReplicas-th element from
 * r and keeps the first floor(len/selectMultiple·selectMultiple / numReplicas).
 */
export function repeatedAugSampler(length: number, seed: number, options: RepeatedAugOptions = {}): Sampler {
  const { repeats = 3, numReplicas = 1, rank = 0, shuffle = true, selectMultiple = 256 } = options;
  if (!Number.isInteger(repeats) || repeats < 1) throw new ConfigError('repeats', `must be a positive integer, got ${repeats}`);
  if (!Number.isInteger(numReplicas) || numReplicas < 1) throw new ConfigError('numReplicas', `must be a positive integer, got ${numReplicas}`);
  if (!Number.isInteger(rank) || rank < 0 || rank >= numReplicas) throw new ConfigError('rank', `must lie in [0, ${numReplicas}), got ${rank}`);
  if (!Number.isInteger(selectMultiple) || selectMultiple < 1) throw new ConfigError('selectMultiple', `must be a positive integer, got ${selectMultiple}`);
  const numSamples = Math.ceil((length * repeats) / numReplicas);
  const totalSize = numSamples * numReplicas;
  const selected = Math.floor((Math.floor(length / selectMultiple) * selectMultiple) / numReplicas);
  if (selected === 0) {
    throw new ConfigError('selectMultiple', `the data set (${length} samples) is smaller than ${selectMultiple}; repeated augmentation would select no samples (set selectMultiple: 1)`);
  }
  return {
    length: selected,
    indices(epoch) {
      const perm = shuffle ? derivedRng(seed, RNG_STREAM.order, epoch, 0).permutation(length) : Int32Array.from({ length }, (_, i) => i);
      const rep = new Int32Array(totalSize);
      const base = length * repeats;
      for (let i = 0; i < totalSize; i++) {
        // Padding repeats the start of the repeated list, as RASampler does.
        const j = i < base ? i : i - base;
        rep[i] = perm[Math.floor(j / repeats)]!;
      }
      const out = new Int32Array(selected);
      for (let i = 0; i < selected; i++) out[i] = rep[rank + i * numReplicas]!;
      return out;
    },
  };
}
