import { initBackend, tf } from '@deitjs/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { gelu } from './gelu.js';
import { erfRef } from './reference.test-util.js';

// x·Φ(x) from tabulated normal CDF values (Φ(±1) = 0.841344746…, Φ(2) = 0.977249868…, Φ(−3) = 0.001349898…).
const TABLE: Array<[number, number]> = [
  [1, 0.8413447460685429],
  [-1, -0.15865525393145707],
  [2, 2 * 0.9772498680518208],
  [-3, -3 * 0.0013498980316301],
  [0.5, 0.5 * 0.6914624612740131],
  [0, 0],
];

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`gelu (${backend})`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

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
  });
}
