/**
 * Python's `round(x)` on a float (numpy's `np.round`): to the nearest integer, exact halves to the even neighbour
 * (JS `Math.round` rounds them up). `x % 1` is exact in IEEE arithmetic, so only true halves are ties
 * (0.49999999999999994 → 0, 2.675 → 3), and the sign of zero follows numpy (-0.5 → -0).
 */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
