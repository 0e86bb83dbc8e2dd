// The browser entry of @deitjs/teachers (`dist/browser.js`): the CNN teachers, their registry and weight loading
// (from a StateDict: see core's loadSafetensors), teachers from any classifier or TF.js model (a model.json by URL).
// Node's entry (index.ts) adds model.json paths, the file:// IO handler and the teacher-output cache.
export { BatchNorm2d, BN_EPS, BN_MOMENTUM } from './batch-norm.js';
export { Conv2d, type Conv2dOptions } from './conv2d.js';
export { ConvNormAct, convBnAct } from './conv-norm-act.js';
export { type GroupedConvStrategy, type GroupedConv2dOptions, groupedConv2d, padSpatial } from './grouped-conv.js';
export { SqueezeExcite, PointwiseLinear } from './squeeze-excite.js';
export { FcClassifier, type FcClassifierInit } from './fc-classifier.js';
export { ConvNet, type ConvNetOutputs, type FeatureTap } from './convnet.js';
export { ResNet, type ResNetConfig, type ConvNetOptions } from './resnet.js';
export { RegNet, type RegNetOptions } from './regnet.js';
export { type RegNetParams, type RegNetStage, REGNETY_PARAMS, generateRegNetStages } from './regnet-config.js';
export { type CheckpointNaming, detectNaming, torchvisionRegNetKeyToTimm, toTimmNames } from './checkpoint-names.js';
export {
  type LoadConvNetWeightsOptions,
  type LoadConvNetWeightsResult,
  checkpointNumClasses,
  loadConvNetWeights,
  readConvNetCheckpoint,
} from './load-weights.js';
export { type TeacherArchitecture, type CreateConvNetOptions, listTeachers, teacherArchitecture, createConvNet } from './registry.js';
export { type PretrainedCfg, type PretrainedCfgFields, type Interpolation, makePretrainedCfg, copyPretrainedCfg } from './pretrained-cfg.js';
export {
  type TeacherIoOptions,
  type FingerprintedTeacher,
  type CreateTeacherOptions,
  ConvNetTeacher,
  createTeacher,
  teacherFromClassifier,
  renormalize,
  normalizationSalt,
} from './teacher.js';
export { tfjsArchitecture, tfjsWeights, tfjsModelFingerprint } from './tfjs-model-fingerprint.js';
export { hashNamedTensors } from './fingerprint.js';
export { withoutGradient } from './no-gradient.js';
export { type TfjsModelLike, type TfjsTeacherOptions, teacherFromTfjsModel, tfjsModelTeacher, loadTfjsModel } from './tfjs-teacher.js';
export { type TfjsModelFormat, TFJS_LOADER_PACKAGES } from './tfjs-loaders.js';
