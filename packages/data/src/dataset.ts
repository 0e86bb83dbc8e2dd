import type { Sample } from './image.js';

/** A random-access, labelled image data set. */
export interface Dataset {
  /** Number of samples. */
  readonly length: number;
  /** Class names; labels index into this list. */
  readonly classes: readonly string[];
  /** Sample `index` (decoded image and label). */
  get(index: number): Promise<Sample>;
  /** Where sample `index` comes from (a file path, or file + record), for error messages. */
  source(index: number): string;
}
