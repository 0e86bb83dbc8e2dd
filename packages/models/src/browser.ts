// The browser entry of @deitjs/models (`dist/browser.js`): DeiT, the registry, weights from a StateDict (core's
// loadSafetensors reads one from an ArrayBuffer, Blob or URL), pretrained weights fetched without a file cache,
// classification. The Node entry (index.ts) is this plus the Hub file cache and downloads (the `*-node.ts` files).
// Node's entry (index.ts) re-exports this list: a neutral export goes here, a Node-only one in index.ts (src/browser.test.ts checks).
export { DeiT, type DeiTConfig, type FeatureOptions, CLASSIFIER_KEYS } from './deit.js';
export {
  type DeiTArchitecture,
  type DeiTModelName,
  type CreateModelOptions,
  MODEL_ARCHITECTURES,
  isDeiTModel,
  modelConfig,
  countParams,
} from './deit-variants.js';
export {
  type ModelFamily,
  type ModelInfo,
  type CreateAnyModelOptions,
  type PretrainedOptions,
  listModels,
  resolveModel,
  pretrainedCfg,
  createModel,
} from './registry.js';
export { type Pretrained, type PretrainedSource, HUB_WEIGHT_FILES, pretrainedSource } from './hub/pretrained.js';
export { type FetchOptions, type FetchedWeights, fetchPretrainedWeights } from './hub/fetch-weights.js';
export { DownloadError, HubError, type HubFileRef } from './hub/errors.js';
export { type HubSpec, parseHubSpec } from './hub/names.js';
export type { DownloadProgress } from './hub/transfer.js';
export type { PretrainedCfg, Interpolation } from '@deitjs/teachers';
export { type LoadWeightsOptions, type LoadWeightsResult, loadWeights, saveWeights } from './weights.js';
export { tokenCosine, clsDistCosine, type TokenCosineByLayer } from './analysis.js';
export { type ClassScore, type Classification, type ClassifyTensorOptions, classifyTensor } from './classify-tensor.js';
export { IMAGENET_CLASSES, IMAGENET_SYNSETS } from './imagenet-classes.js';
