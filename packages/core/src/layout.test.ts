import { describe, expect, it } from 'vitest';
import { convHwioToOihw, convOihwToHwio, linearToTf, nchwToNhwc, permute } from './layout.js';

const iota = (n: number) => Float32Array.from({ length: n }, (_, i) => i);

describe('layouts', () => {
  it('transposes a linear weight [out,in] to [in,out]', () => {
    // W = [[0,1,2],[3,4,5]] (out 2, in 3) → [[0,3],[1,4],[2,5]]
    const r = linearToTf(iota(6), [2, 3]);
    expect(r.shape).toEqual([3, 2]);
    expect(Array.from(r.data)).toEqual([0, 3, 1, 4, 2, 5]);
  });

  it('moves conv weights OIHW → HWIO so that element (o,i,h,w) lands at (h,w,i,o)', () => {
    const shape = [4, 3, 2, 5];
    const r = convOihwToHwio(iota(120), shape);
    expect(r.shape).toEqual([2, 5, 3, 4]);
    for (const [o, i, h, w] of [[0, 0, 0, 0], [3, 2, 1, 4], [1, 2, 0, 3], [2, 0, 1, 1]] as const) {
      const src = ((o * 3 + i) * 2 + h) * 5 + w;
      const dst = ((h * 5 + w) * 3 + i) * 4 + o;
      expect(r.data[dst]).toBe(src);
    }
    const back = convHwioToOihw(r.data, r.shape);
    expect(back.shape).toEqual(shape);
    expect(Array.from(back.data)).toEqual(Array.from(iota(120)));
  });

  it('moves images NCHW → NHWC', () => {
    const r = nchwToNhwc(iota(2 * 3 * 2 * 2), [2, 3, 2, 2]);
    // n=1, h=1, w=0, c=2 comes from NCHW index ((1*3+2)*2+1)*2+0 = 22
    expect(r.data[((1 * 2 + 1) * 2 + 0) * 3 + 2]).toBe(22);
  });

  it('treats the identity permutation and rank-1 arrays as copies', () => {
    expect(Array.from(permute(iota(6), [6], [0]).data)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(() => permute(iota(6), [2, 3], [0])).toThrow(/perm/);
  });
});
