// The Node entry of @deitjs/data: everything of the browser entry (images, transforms, samplers, batch assembly — one
// list, in browser.ts) plus what needs Node: decoding files, the on-disk data sets and the worker-thread DataLoader.
export * from './browser.js';
export { type DatasetSpec, createDataset } from './dataset-spec.js';
export {
  type MnistSplit,
  type ResolveDatasetOptions,
  type ResolvedDataset,
  EVAL_SPLIT_FOLDERS,
  MNIST_DEFAULTS,
  detectDataSetKind,
  resolveDataset,
} from './resolve-dataset.js';
export { ImageFolder, type ImageFolderOptions, IMAGE_EXTENSIONS } from './image-folder.js';
export { decodeImage } from './decode.js';
export { CifarDataset, type CifarOptions, cifarBatchNames, CIFAR10_CLASSES, CIFAR100_CLASSES, CIFAR100_COARSE_CLASSES } from './cifar.js';
export { mnistDataset, type MnistOptions, loadMnistDigits } from './mnist.js';
export { DataLoader, type DataLoaderOptions } from './loader.js';
