import { DeitError } from '@deitjs/core';

/** A data set that cannot be read or used: names the file or folder at fault. */
export class DatasetError extends DeitError {
  /** Path of the file or folder at fault. */
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('E_DATASET', `${path}: ${message}`, options);
    this.path = path;
  }
}
