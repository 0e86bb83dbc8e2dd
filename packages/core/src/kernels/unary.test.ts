import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { relL2Error } from '../compare.js';
import { Rng } from '../rng.js';
import { tf } from '../tf.js';
import { wasmKernelsActive } from './register.js';

// erf in float64 from its Maclaurin series (converges for all x; at |x| ≤ 5 the largest term is < 1e9, so
// cancellation leaves > 1e-7 absolute accuracy... far better in practice: terms are summed in float64).
function erf64(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (Math.abs(x) > 5) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

const SPECIAL = [0, -0, 1e-30, -1e-30, 1e-3, 0.4999, 0.5, 0.5001, 1, -1, 3.9, 9, -9, 88.7, 88.75, -87.5, -100, -103.5, -110, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN];

function sample(n: number, lo: number, hi: number, seed: number): Float32Array {
  const out = new Float32Array(n + SPECIAL.length);
  out.set(new Rng(seed).uniformArray(n, lo, hi));
  out.set(SPECIAL, n);
  return out;
}
const apply = (f: (t: tf.Tensor) => tf.Tensor, x: Float32Array) => tf.tidy(() => f(tf.tensor1d(x)).dataSync() as Float32Array);

// The float32 spacing at |v| (one ulp), for error bounds in ulps.
const ulp = (v: number) => (v === 0 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(Math.abs(v))) - 23));

describe('wasm Exp and Erf kernels', () => {
  const gelu = (t: tf.Tensor) => tf.mul(tf.mul(t, 0.5), tf.add(tf.erf(tf.mul(t, Math.SQRT1_2)), 1));
  const geluInput = new Rng(5).uniformArray(4099, -6, 6);
  let cpuGeluGrad: Float32Array;
  let cpuExp: Float32Array;
  const expInput = sample(10_003, -20, 20, 1);

  beforeAll(async () => {
    await initBackend('cpu');
    cpuGeluGrad = tf.tidy(() => tf.grad(gelu)(tf.tensor1d(geluInput)).dataSync() as Float32Array);
    cpuExp = apply(tf.exp, expInput);
    await initBackend('wasm');
  });

  it('are active on wasm', () => {
    expect(wasmKernelsActive()).toBe(true);
  });

  it('exp is within 2 ulp of the float64 exp, with exp’s overflow, underflow and NaN', () => {
    const x = sample(20_000, -104, 89, 2);
    const y = apply(tf.exp, x);
    let worst = 0;
    for (let i = 0; i < x.length; i++) {
      const want = Math.fround(Math.exp(x[i]!));
      if (Number.isNaN(want)) expect(Number.isNaN(y[i]!), `exp(${x[i]})`).toBe(true);
      else if (!Number.isFinite(want)) expect(y[i], `exp(${x[i]})`).toBe(want);
      // Subnormal results: within 2 ulps of the smallest normal spacing.
      else if (want < 2 ** -126) expect(Math.abs(y[i]! - want), `exp(${x[i]})`).toBeLessThanOrEqual(2 * 2 ** -149);
      else worst = Math.max(worst, Math.abs(y[i]! - want) / ulp(want));
    }
    console.log(`Exp: worst error ${worst.toFixed(2)} ulp over ${x.length} inputs in [-104, 89]`);
    expect(worst).toBeLessThanOrEqual(2);
  });

  it('exp matches the cpu backend within 1e-6 relative, element by element', () => {
    const y = apply(tf.exp, expInput);
    let worst = 0;
    for (let i = 0; i < y.length; i++) {
      const c = cpuExp[i]!;
      if (Number.isFinite(c) && c >= 2 ** -126) worst = Math.max(worst, Math.abs(y[i]! - c) / c);
      else expect(Object.is(y[i], c) || Math.abs(y[i]! - c) <= 2 * 2 ** -149, `exp(${expInput[i]})`).toBe(true);
    }
    console.log(`Exp vs cpu: worst relative error ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-6);
  });

  it('erf is within 4e-7 absolute and 1e-6 relative of the float64 series, odd, saturating, NaN-preserving', () => {
    const x = sample(20_000, -6, 6, 3);
    const y = apply(tf.erf, x);
    let worstAbs = 0;
    let worstRel = 0;
    for (let i = 0; i < x.length; i++) {
      const want = erf64(x[i]!);
      if (Number.isNaN(want)) {
        expect(Number.isNaN(y[i]!)).toBe(true);
        continue;
      }
      worstAbs = Math.max(worstAbs, Math.abs(y[i]! - want));
      if (want !== 0) worstRel = Math.max(worstRel, Math.abs(y[i]! - want) / Math.abs(want));
    }
    console.log(`Erf: worst abs error ${worstAbs.toExponential(2)}, worst rel ${worstRel.toExponential(2)} over ${x.length} inputs`);
    // Abramowitz & Stegun's 1.5e-7 plus float32 evaluation (a few roundings near 1, ulp 6e-8 to 1.2e-7).
    expect(worstAbs).toBeLessThanOrEqual(4e-7);
    expect(worstRel).toBeLessThanOrEqual(1e-6);
    const pos = apply(tf.erf, new Float32Array([0.3, 0.7, 2.5, Number.POSITIVE_INFINITY]));
    const neg = apply(tf.erf, new Float32Array([-0.3, -0.7, -2.5, Number.NEGATIVE_INFINITY]));
    expect(Array.from(neg)).toEqual(Array.from(pos).map((v) => -v));
    expect(pos[3]).toBe(1);
  });

  it('GELU gradients (erf forward, exp backward) match the cpu backend', () => {
    const g = tf.tidy(() => tf.grad(gelu)(tf.tensor1d(geluInput)).dataSync() as Float32Array);
    const err = relL2Error(g, cpuGeluGrad);
    console.log(`GELU grad vs cpu: rel L2 error ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-5);
  });

  it('leaves tf.memory().numTensors unchanged and keeps shapes (including odd tails and empty)', () => {
    const before = tf.memory().numTensors;
    for (const shape of [[0], [1], [3], [2, 3, 5]]) {
      const y = tf.tidy(() => tf.exp(tf.zeros(shape)));
      expect(y.shape).toEqual(shape);
      expect(Array.from(y.dataSync())).toEqual(new Array(y.size).fill(1));
      y.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
