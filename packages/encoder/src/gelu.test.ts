import { Rng, initBackend, tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { beforeAll, describe, expect, it } from 'vitest';
import { gelu, geluParts } from './gelu.js';
import { checkGradients } from './grad-check.js';
import { compareWithPlain, relMaxErr, tensorsAroundStep } from './test/custom-grad.js';
import { erfRef } from './test/reference.js';

// d/dx of 0.5·x·(1 + erf(x/√2)) in float64: Φ(x) + x·φ(x).
const geluDerivRef = (x: number): number => 0.5 * (1 + erfRef(x / Math.SQRT2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);

// x·Φ(x) from tabulated normal CDF values (Φ(±1) = 0.841344746…, Φ(2) = 0.977249868…, Φ(−3) = 0.001349898…).
const TABLE: Array<[number, number]> = [
  [1, 0.8413447460685429],
  [-1, -0.15865525393145707],
  [2, 2 * 0.9772498680518208],
  [-3, -3 * 0.0013498980316301],
  [0.5, 0.5 * 0.6914624612740131],
  [0, 0],
];

describeOnBackends('gelu', (backend) => {
  it('is the exact erf GELU (not the tanh approximation, which is 1.5e-4 off at x = 1)', () => {
    const got = tf.tidy(() => gelu(tf.tensor1d(TABLE.map((t) => t[0]))).dataSync());
    for (const [i, [, want]] of TABLE.entries()) expect(Math.abs(got[i]! - want)).toBeLessThan(1e-6);
  });

  it('uses an erf within 1e-6 of float64 over [-6, 6], so GELU is within 1e-6·|x|', () => {
    const xs = Array.from({ length: 241 }, (_, i) => -6 + i * 0.05);
    const [e, g] = tf.tidy(() => {
      const x = tf.tensor1d(xs);
      return [tf.erf(tf.mul(x, Math.SQRT1_2)).dataSync(), gelu(x).dataSync()];
    });
    let erfErr = 0;
    let geluErr = 0;
    xs.forEach((x, i) => {
      const ref = erfRef(Math.fround(x) * Math.SQRT1_2);
      erfErr = Math.max(erfErr, Math.abs(e[i]! - ref));
      geluErr = Math.max(geluErr, Math.abs(g[i]! - 0.5 * x * (1 + ref)) / Math.max(1, Math.abs(x)));
    });
    console.log(`gelu ${backend}: erf max abs err ${erfErr.toExponential(2)}, gelu max err/max(1,|x|) ${geluErr.toExponential(2)}`);
    expect(erfErr).toBeLessThan(1e-6);
    expect(geluErr).toBeLessThan(1e-6);
  });

  it('custom gradient: values and input gradient equal the plain composition and the float64 derivative', () => {
    const rng = new Rng(5);
    const n = 3 * 7 * 40;
    const xs = Float32Array.from({ length: n }, (_, i) => (i < 241 ? -6 + i * 0.05 : rng.normal(0, 2)));
    const x = tf.variable(tf.tensor3d(xs, [3, 7, 40]));
    const r = tf.tensor3d(Float32Array.from({ length: n }, () => rng.normal()), [3, 7, 40]);
    const errs = compareWithPlain(() => gelu(x), () => geluParts(x).y, new Map([['input', x]]), r);
    const g = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(gelu(t)))(x).dataSync());
    const want = Array.from(xs, (v) => geluDerivRef(v));
    const refErr = relMaxErr(g, want);
    console.log(`gelu ${backend} custom grad: output ${errs.get('output')!.toExponential(2)}, grad vs plain ${errs.get('input')!.toExponential(2)}, vs float64 ${refErr.toExponential(2)}`);
    expect(errs.get('output')!).toBeLessThan(1e-6);
    expect(errs.get('input')!).toBeLessThan(1e-5);
    expect(refErr).toBeLessThan(1e-5);
    const [before, after] = tensorsAroundStep(() => tf.sum(tf.mul(gelu(x), r)) as tf.Scalar, [x]);
    expect(after).toBe(before);
    tf.dispose([x, r]);
  });
});

describe('gelu gradient (cpu)', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });
  it('matches central finite differences', () => {
    const rng = new Rng(6);
    const x = tf.variable(tf.tensor1d(Float32Array.from({ length: 30 }, () => rng.normal(0, 2))));
    const res = checkGradients(() => tf.sum(tf.mul(gelu(x), tf.linspace(-1, 2, 30))), new Map([['input', x]]), { rng, samples: 30 });
    console.log(`gelu grad: max abs err ${res[0]!.maxAbsErr.toExponential(2)} (scale ${res[0]!.gradScale.toFixed(3)})`);
    expect(res[0]!.failures).toBe(0);
    expect(res[0]!.gradScale).toBeGreaterThan(1e-2);
    x.dispose();
  });
});
