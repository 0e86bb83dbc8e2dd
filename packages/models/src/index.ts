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
// Node only (file cache): importing this module also makes createModel({ pretrained }) use the cache.
export { type PretrainedFile, fetchPretrained, pretrainedWeights } from './hub/pretrained-node.js';
export { DownloadError, HubError, type HubFileRef } from './hub/errors.js';
export { type DownloadOptions, type DownloadedFile, DEFAULT_MAX_DOWNLOAD_BYTES, hubDownload, urlDownload } from './hub/download-node.js';
export { type HubEnvOptions, type HubSettings, hubSettings } from './hub/cache-node.js';
export { type HubSpec, parseHubSpec } from './hub/names.js';
export type { DownloadProgress } from './hub/transfer.js';
export type { PretrainedCfg, Interpolation } from '@deitjs/teachers';
export { type LoadWeightsOptions, type LoadWeightsResult, loadWeights, saveWeights } from './weights.js';
export { tokenCosine, clsDistCosine, type TokenCosineByLayer } from './analysis.js';
export { type ClassScore, type Classification, type ClassifyTensorOptions, classifyTensor } from './classify-tensor.js';
export { IMAGENET_CLASSES, IMAGENET_SYNSETS } from './imagenet-classes.js';
