import { ConfigError, Rng, ShapeError } from '@deitjs/core';
import type { Dataset } from './dataset.js';
import type { Sample } from './image.js';

/** Options of {@link syntheticDataset}. */
export interface SyntheticOptions {
  /** Number of classes (default 10). */
  numClasses?: number;
  /** Number of samples (default 1000); labels cycle through the classes. */
  length?: number;
  /** Image width (default 32). */
  width?: number;
  /** Image height (default = width). */
  height?: number;
  /** Seed of the per-sample variation (default 0). */
  seed?: number;
  /** Std of the per-pixel noise in 8-bit units (default 20). */
  noise?: number;
}

/**
 * A seeded synthetic image set for tests and benchmarks: class k is an oriented stripe pattern (angle and
 * frequency set by k) in a class colour, with a random phase, contrast and pixel noise per sample, so a
 * small model can learn it. Sample i is the same for a given seed, whatever order it is read in.
 */
export function syntheticDataset(options: SyntheticOptions = {}): Dataset {
  const { numClasses = 10, length = 1000, width = 32, seed = 0, noise = 20 } = options;
  const height = options.height ?? width;
  for (const [name, v] of [['numClasses', numClasses], ['length', length], ['width', width], ['height', height]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new ConfigError(name, `must be a positive integer, got ${v}`);
  }
  const classes = Array.from({ length: numClasses }, (_, k) => `class_${k}`);
  return {
    classes,
    length,
    source: (index) => `synthetic#${index}`,
    async get(index: number): Promise<Sample> {
      if (!(Number.isInteger(index) && index >= 0 && index < length)) throw new ShapeError('index', `${index} is outside the data set (length ${length})`);
      const label = index % numClasses;
      const rng = new Rng(seed * 1_000_003 + index);
      const angle = (Math.PI * label) / numClasses;
      const freq = (2 + (label % 3)) * ((2 * Math.PI) / Math.max(width, height));
      const phase = rng.uniform(0, 2 * Math.PI);
      const contrast = rng.uniform(0.6, 1);
      const hue = (2 * Math.PI * label) / numClasses;
      const colour = [0, 1, 2].map((c) => 0.5 + 0.4 * Math.cos(hue + (2 * Math.PI * c) / 3));
      const cx = Math.cos(angle);
      const sy = Math.sin(angle);
      const data = new Uint8Array(width * height * 3);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const stripe = 0.5 + 0.5 * contrast * Math.sin(freq * (x * cx + y * sy) + phase);
          for (let c = 0; c < 3; c++) {
            const v = 255 * stripe * colour[c]! + rng.normal(0, noise);
            data[(y * width + x) * 3 + c] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
          }
        }
      }
      return { image: { width, height, data }, label };
    },
  };
}
