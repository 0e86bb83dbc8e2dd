// The browser entry of @deitjs/data (`dist/browser.js`): images, transforms (timm's train/eval pipelines, RandAugment,
// Mixup/CutMix …), samplers and batch assembly — all on host pixel arrays. Decoding files, the on-disk data sets and
// the worker-thread DataLoader need Node: Node's entry (index.ts) re-exports this list and adds them. A neutral export
// goes here, a Node-only one in index.ts.
export { type HostImage, type Uint8Image, type FloatImage, type Sample, createImage, assertImage, toUint8Image, toFloatImage, greyToRgb, crop } from './image.js';
export { DatasetError } from './dataset-error.js';
export type { Dataset } from './dataset.js';
// The data-set kinds are core's (one list for data sets, run.json and the apps), re-exported for this package's users.
export { DATA_SET_KINDS, type DataSetKind } from '@deitjs/core';
export { syntheticDataset, type SyntheticOptions } from './synthetic.js';
export { resize, type ResizeFilter } from './resize.js';
export { affineTransform, rotate, type Rgb } from './affine.js';
export {
  invert,
  posterize,
  solarize,
  solarizeAdd,
  autoContrast,
  equalize,
  luma,
  grayscale,
  blend,
  adjustBrightness,
  adjustSaturation,
  adjustContrast,
  adjustSharpness,
  adjustHue,
  gaussianBlur,
} from './pil-ops.js';
export {
  type RandAugmentConfig,
  type RandAugmentOpName,
  RAND_INCREASING_OPS,
  RAND_OPS,
  IMAGENET_MEAN_UINT8,
  applyRandAugmentOp,
  randAugment,
  randAugmentPlan,
  type RandAugmentStep,
  parseRandAugment,
} from './rand-augment.js';
export { randomResizedCrop, randomResizedCropBox, type RandomResizedCropOptions, type CropBox } from './random-resized-crop.js';
export { flipHorizontal, randomHorizontalFlip } from './flip.js';
export { colorJitter, type ColorJitterOptions } from './color-jitter.js';
export { randomErasing, type RandomErasingOptions } from './random-erasing.js';
export { resizeShorter, centerCrop, evalResizeCrop } from './eval-resize.js';
export { normalize } from './normalize.js';
export { MNIST_NORMALIZATION, type InputChannels, asGreyRgb, checkChannels, firstChannel } from './channels.js';
export { pad, randomCrop, randomShift, type PadMode } from './random-crop.js';
export { threeAugmentChoice } from './three-augment.js';
export { mixupBatch, mixupTargets, cutmixBox, type MixupOptions, type MixupResult } from './mixup.js';
export { randomSampler, repeatedAugSampler, type Sampler, type RepeatedAugOptions } from './sampler.js';
export { derivedRng } from './sample-rng.js';
export {
  createTransform,
  type ImageTransform,
  type TransformSpec,
  type DeitTrainTransformSpec,
  type ThreeAugmentTransformSpec,
  type EvalTransformSpec,
  type LightTransformSpec,
  type PlainTransformSpec,
  type ChannelsOption,
} from './transform-spec.js';
export { type BatchJob, type HostBatch, type OnError, runBatchJob } from './batch-job.js';
