import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, ShapeError } from '@deitjs/core';
import { DatasetError } from './dataset-error.js';
import type { Dataset } from './dataset.js';
import type { Sample } from './image.js';

/** CIFAR-10 class names (batches.meta.txt). */
export const CIFAR10_CLASSES: readonly string[] = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** CIFAR-100 coarse (super-class) names (coarse_label_names.txt). */
export const CIFAR100_COARSE_CLASSES: readonly string[] = (
  'aquatic_mammals fish flowers food_containers fruit_and_vegetables household_electrical_devices household_furniture insects ' +
  'large_carnivores large_man-made_outdoor_things large_natural_outdoor_scenes large_omnivores_and_herbivores medium_mammals ' +
  'non-insect_invertebrates people reptiles small_mammals trees vehicles_1 vehicles_2'
).split(' ');

/** CIFAR-100 fine class names (fine_label_names.txt). */
export const CIFAR100_CLASSES: readonly string[] = (
  'apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly camel can castle ' +
  'caterpillar cattle chair chimpanzee clock cloud cockroach couch crab crocodile cup dinosaur dolphin elephant flatfish ' +
  'forest fox girl hamster house kangaroo keyboard lamp lawn_mower leopard lion lizard lobster man maple_tree motorcycle ' +
  'mountain mouse mushroom oak_tree orange orchid otter palm_tree pear pickup_truck pine_tree plain plate poppy porcupine ' +
  'possum rabbit raccoon ray road rocket rose sea seal shark shrew skunk skyscraper snail snake spider squirrel streetcar ' +
  'sunflower sweet_pepper table tank telephone television tiger tractor train trout tulip turtle wardrobe whale willow_tree ' +
  'wolf woman worm'
).split(' ');

/** Options of {@link CifarDataset}. */
export interface CifarOptions {
  /** Folder holding the binary batches (`cifar-10-batches-bin` or `cifar-100-binary`). */
  root?: string;
  /** Explicit `.bin` files instead of `root` + `split`. */
  files?: readonly string[];
  /** CIFAR-10 (1 label byte per record) or CIFAR-100 (coarse + fine label bytes). */
  variant: 'cifar10' | 'cifar100';
  /** Which standard files to read from `root` (default train). */
  split?: 'train' | 'test';
  /** CIFAR-100: fine (100 classes, default) or coarse (20) labels. */
  labels?: 'fine' | 'coarse';
}

const PIXELS = 32 * 32;

/** The standard batch file names of a CIFAR split (`data_batch_1..5.bin` / `test_batch.bin`, or `train.bin` / `test.bin`). */
export function cifarBatchNames(variant: 'cifar10' | 'cifar100', split: 'train' | 'test'): string[] {
  if (variant === 'cifar100') return [`${split}.bin`];
  return split === 'train' ? [1, 2, 3, 4, 5].map((k) => `data_batch_${k}.bin`) : ['test_batch.bin'];
}

/**
 * CIFAR-10/100 in the binary format: records of label byte(s) + 3072 bytes (1024 R, 1024 G, 1024 B, each
 * row-major 32×32). File sizes are checked up front; the data are read on first access.
 */
export class CifarDataset implements Dataset {
  /** Class names (from the meta file beside the batches when present). */
  readonly classes: readonly string[];
  /** Number of records. */
  readonly length: number;
  /** The batch files, in order. */
  readonly files: readonly string[];
  private readonly recordBytes: number;
  private readonly labelOffset: number;
  private readonly counts: number[];
  private data: Buffer[] | undefined;

  constructor(options: CifarOptions) {
    const { variant, split = 'train', labels = 'fine' } = options;
    if (variant !== 'cifar10' && variant !== 'cifar100') throw new ConfigError('variant', `must be cifar10 or cifar100, got "${variant}"`);
    this.recordBytes = (variant === 'cifar10' ? 1 : 2) + 3 * PIXELS;
    this.labelOffset = variant === 'cifar100' && labels === 'fine' ? 1 : 0;
    let files = options.files;
    if (files === undefined) {
      if (options.root === undefined) throw new ConfigError('root', 'give the folder of the binary batches (or `files`)');
      files = cifarBatchNames(variant, split).map((n) => join(options.root!, n));
    }
    if (files.length === 0) throw new ConfigError('files', 'no CIFAR batch files given');
    this.files = files;
    this.counts = files.map((f) => {
      let size: number;
      try {
        size = statSync(f).size;
      } catch (err) {
        throw new DatasetError(f, `cannot read the CIFAR batch (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
      }
      if (size === 0 || size % this.recordBytes !== 0) {
        throw new DatasetError(f, `size ${size} B is not a multiple of the ${variant} record size ${this.recordBytes} B (wrong variant or a damaged file?)`);
      }
      return size / this.recordBytes;
    });
    this.length = this.counts.reduce((a, b) => a + b, 0);
    this.classes = readNames(files[0]!, variant, labels);
  }

  /** The decoded 32×32 image and its label. */
  async get(index: number): Promise<Sample> {
    if (!(index >= 0 && index < this.length)) throw new ShapeError('index', `${index} is outside the data set (length ${this.length})`);
    this.data ??= this.files.map((f) => readFileSync(f));
    let file = 0;
    let i = index;
    while (i >= this.counts[file]!) i -= this.counts[file++]!;
    const buf = this.data[file]!;
    const off = i * this.recordBytes;
    const label = buf[off + this.labelOffset]!;
    if (label >= this.classes.length) throw new DatasetError(this.source(index), `label ${label} is out of range for ${this.classes.length} classes`);
    const px = off + this.recordBytes - 3 * PIXELS;
    const out = new Uint8Array(3 * PIXELS);
    for (let p = 0; p < PIXELS; p++) {
      out[3 * p] = buf[px + p]!;
      out[3 * p + 1] = buf[px + PIXELS + p]!;
      out[3 * p + 2] = buf[px + 2 * PIXELS + p]!;
    }
    return { image: { width: 32, height: 32, data: out }, label };
  }

  /** The batch file and record of sample `index`. */
  source(index: number): string {
    let file = 0;
    let i = index;
    while (file < this.counts.length - 1 && i >= this.counts[file]!) i -= this.counts[file++]!;
    return `${this.files[file]} record ${i}`;
  }
}

function readNames(firstFile: string, variant: 'cifar10' | 'cifar100', labels: 'fine' | 'coarse'): readonly string[] {
  const dir = join(firstFile, '..');
  const meta = join(dir, variant === 'cifar10' ? 'batches.meta.txt' : `${labels}_label_names.txt`);
  const fallback = variant === 'cifar10' ? CIFAR10_CLASSES : labels === 'fine' ? CIFAR100_CLASSES : CIFAR100_COARSE_CLASSES;
  if (!existsSync(meta)) return fallback;
  const names = readFileSync(meta, 'utf8')
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return names.length === fallback.length ? names : fallback;
}
