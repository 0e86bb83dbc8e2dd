/** A set of 28×28 grey MNIST digits (8-bit, row-major) with their labels. */
export interface DigitSet {
  /** Number of digits. */
  count: number;
  /** Label of each digit. */
  labels: Uint8Array;
  /** `count × 784` pixels. */
  pixels: Uint8Array;
}

/** The app's digit asset: `digits.bin` (train labels, train pixels, test labels, test pixels) and `digits.json`. */
export function parseDigits(meta: { side: number; splits: { train: number; test: number } }, bytes: ArrayBuffer): { train: DigitSet; test: DigitSet } {
  const px = meta.side * meta.side;
  const need = (meta.splits.train + meta.splits.test) * (1 + px);
  if (bytes.byteLength !== need) throw new Error(`digits.bin: ${bytes.byteLength} bytes, digits.json describes ${need}`);
  let at = 0;
  const take = (count: number): DigitSet => {
    const labels = new Uint8Array(bytes, at, count);
    const pixels = new Uint8Array(bytes, at + count, count * px);
    at += count * (1 + px);
    return { count, labels, pixels };
  };
  const train = take(meta.splits.train);
  return { train, test: take(meta.splits.test) };
}

/** One digit of a set, shifted by `(dx, dy)` pixels with zero fill (the main job's ±2 px augmentation). */
export function shiftedDigit(set: DigitSet, index: number, dx = 0, dy = 0): Uint8Array {
  const src = set.pixels.subarray(index * 784, (index + 1) * 784);
  if (dx === 0 && dy === 0) return src.slice();
  const out = new Uint8Array(784);
  for (let y = 0; y < 28; y++) {
    const sy = y - dy;
    if (sy < 0 || sy >= 28) continue;
    for (let x = 0; x < 28; x++) {
      const sx = x - dx;
      if (sx >= 0 && sx < 28) out[y * 28 + x] = src[sy * 28 + sx]!;
    }
  }
  return out;
}
