export { DeiT, type DeiTConfig, type FeatureOptions, CLASSIFIER_KEYS } from './deit.js';
export {
  type DeiTArchitecture,
  type CreateModelOptions,
  MODEL_ARCHITECTURES,
  listModels,
  modelConfig,
  createModel,
  countParams,
} from './registry.js';
export { type LoadWeightsOptions, type LoadWeightsResult, loadWeights, saveWeights } from './weights.js';
export { tokenCosine, clsDistCosine, type TokenCosineByLayer } from './analysis.js';
