import { ConfigError } from '@deitjs/core';
import { CifarDataset, type CifarOptions } from './cifar.js';
import type { Dataset } from './dataset.js';
import { ImageFolder } from './image-folder.js';
import { type MnistOptions, mnistDataset } from './mnist.js';
import { type SyntheticOptions, syntheticDataset } from './synthetic.js';

/** A serialisable description of a data set (worker threads rebuild the data set from this). */
export type DatasetSpec =
  | { kind: 'image-folder'; root: string; extensions?: string[] }
  | ({ kind: 'cifar' } & CifarOptions)
  | ({ kind: 'mnist' } & MnistOptions)
  | ({ kind: 'synthetic' } & SyntheticOptions);

/** Opens the data set a {@link DatasetSpec} describes. */
export function createDataset(spec: DatasetSpec): Dataset {
  switch (spec.kind) {
    case 'image-folder':
      return new ImageFolder(spec.root, { extensions: spec.extensions });
    case 'cifar':
      return new CifarDataset(spec);
    case 'mnist':
      return mnistDataset(spec);
    case 'synthetic':
      return syntheticDataset(spec);
    default:
      throw new ConfigError('dataset.kind', `unknown data set "${(spec as { kind: string }).kind}" (image-folder, cifar, mnist, synthetic)`);
  }
}
