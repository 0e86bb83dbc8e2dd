export { type OnnxModel, IR_VERSION, DEFAULT_OPSET, modelChunks, modelBytes, writeModel } from './serialize.js';
export { type Initializer, GraphBuilder } from './graph.js';
export { type TorchParams, moduleParams, stateDictParams } from './params.js';
export { type ExportOptions, INPUT_NAME, LOGITS, LOGITS_CLS, LOGITS_DIST, BATCH_DIM, deitGraph } from './export-deit.js';
export { type ConvNetExportOptions, resnetGraph, regnetGraph } from './export-convnet.js';
export { type ExportableModel, toOnnx, onnxBytes, exportOnnx } from './export.js';
export {
  type OrtTensorLike,
  type OrtSessionOptionsLike,
  type OrtSessionLike,
  type OrtModuleLike,
  type OrtLoadOptions,
  ORT_PACKAGE,
  OrtUnavailableError,
  loadOrt,
  spinningOptions,
} from './ort-loader.js';
export { physicalCores, intraOpThreads } from './threads.js';
export { onnxModelPath } from './model-path.js';
export { type OrtClassifierOptions, type OrtLogits, OrtClassifier } from './ort-classifier.js';
export { type OrtWorkerSessionOptions, type OrtOutputs, OrtWorkerSession } from './ort-worker-session.js';
export { type OrtTeacherOptions, OrtTeacher, imagesToPixels } from './ort-teacher.js';
export { OrtModel } from './ort-model.js';
export { type Preprocessing, type TransformersJsOptions, deitHfConfig, deitPreprocessorConfig, exportTransformersJs } from './transformers-js.js';
export { type ExportableTeacher, type OrtTeacherForOptions, EXPORT_FORMAT, ortTeacherFile, ortTeacherFor } from './ort-teacher-cache.js';
export {
  type TrainParam,
  type TrainingGraph,
  TRAIN_IMAGES,
  TRAIN_TARGETS,
  TRAIN_TEACHER,
  TRAIN_DROP_PATH,
  TRAIN_LOSS,
  TRAIN_LOSS_BASE,
  TRAIN_LOSS_DISTILL,
  gradName,
  blockDropPathRates,
  deitTrainParams,
  deitTrainingGraph,
} from './train-graph.js';
export {
  type TrainingBaseLoss,
  type TrainingLossSpec,
  type ResolvedLossSpec,
  type DeitLossOptions,
  resolveLossSpec,
  targetMatrix,
  trainingLossSpec,
} from './train-graph-loss.js';
export {
  type OrtTrainingEngineOptions,
  type TrainableDeiT,
  type EngineModel,
  type EngineResult,
  OrtTrainingEngine,
} from './ort-training-engine.js';
