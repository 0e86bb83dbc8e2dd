import type { Rng } from '@deitjs/core';

/**
 * `n` draws of N(0, std²) from `rng`; zeros when `rng` is undefined — a model whose weights are loaded right
 * after construction skips the (for RegNetY-16GF, 84 M-draw) random initialisation.
 */
export function normalInit(n: number, std: number, rng: Rng | undefined): Float32Array {
  const out = new Float32Array(n);
  if (rng) for (let i = 0; i < n; i++) out[i] = rng.normal(0, std);
  return out;
}

/** `n` draws of U(−bound, bound) from `rng`; zeros when `rng` is undefined (see {@link normalInit}). */
export function uniformInit(n: number, bound: number, rng: Rng | undefined): Float32Array {
  return rng ? rng.uniformArray(n, -bound, bound) : new Float32Array(n);
}
