import { describe, expect, it } from 'vitest';
import { roundHalfEven } from './py-math.js';

describe('roundHalfEven', () => {
  it('rounds exact halves to the even neighbour, as Python round()', () => {
    // Python 3: [round(x) for x in (0.5, 1.5, 2.5, 3.5, -1.5, -2.5, -3.5)] == [0, 2, 2, 4, -2, -2, -4]
    expect([0.5, 1.5, 2.5, 3.5, -1.5, -2.5, -3.5].map(roundHalfEven)).toEqual([0, 2, 2, 4, -2, -2, -4]);
    expect([2.4, 2.6, -2.4, -2.6, 7, -7, 0].map(roundHalfEven)).toEqual([2, 3, -2, -3, 7, -7, 0]);
  });

  it('keeps numpy\'s sign of zero', () => {
    // np.round(-0.5) == -0.0, np.round(-0.3) == -0.0, np.round(0.3) == 0.0
    expect(Object.is(roundHalfEven(-0.5), -0)).toBe(true);
    expect(Object.is(roundHalfEven(-0.3), -0)).toBe(true);
    expect(Object.is(roundHalfEven(0.3), 0)).toBe(true);
  });

  it('treats only true halves as ties (float subtleties)', () => {
    // The largest double below 0.5 is no tie; 2.675 is stored as 2.67499999999999982236431605997495353221893310546875.
    expect(roundHalfEven(0.49999999999999994)).toBe(0);
    expect(roundHalfEven(-0.49999999999999994)).toBe(-0);
    expect(roundHalfEven(2.675)).toBe(3);
    expect(roundHalfEven(2.5000000000000004)).toBe(3);
    // Halves near 2^52 (the last binade with halves): Python round(4503599627370495.5) == 4503599627370496.
    expect(roundHalfEven(4503599627370495.5)).toBe(4503599627370496);
    expect(roundHalfEven(4503599627370494.5)).toBe(4503599627370494);
    expect(roundHalfEven(-4503599627370495.5)).toBe(-4503599627370496);
    expect(roundHalfEven(2 ** 60)).toBe(2 ** 60);
  });

  it('passes NaN and infinities through', () => {
    expect(roundHalfEven(Number.NaN)).toBeNaN();
    expect(roundHalfEven(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(roundHalfEven(Number.NEGATIVE_INFINITY)).toBe(Number.NEGATIVE_INFINITY);
  });
});
