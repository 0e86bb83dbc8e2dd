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
export { type ModelFamily, type ModelInfo, type CreateAnyModelOptions, listModels, resolveModel, pretrainedCfg, createModel } from './registry.js';
export type { PretrainedCfg, Interpolation } from '@deitjs/teachers';
export { type LoadWeightsOptions, type LoadWeightsResult, loadWeights, saveWeights } from './weights.js';
export { tokenCosine, clsDistCosine, type TokenCosineByLayer } from './analysis.js';
