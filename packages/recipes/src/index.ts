export { type ReplicaSpec, buildReplica, replicaScript, dataParallelThreads } from './replica-spec.js';
export { type ModelChoice, type LoadedModel, runModelChoice, namedModelChoice, loadModel, asTeacher } from './load-model.js';
export { type TeacherFromRunOptions, teacherFromRun } from './teacher-from-run.js';
export { imagePreprocessor, toRunInput } from './image-input.js';
export { type ClassifyInput, type ClassifyOptions, classify } from './classify.js';
export { type ResolveWeightsOptions, isRemoteWeights, resolveWeightsArg, progressPrinter } from './remote-weights.js';
export { type EvalData, type EvalDataOptions, evalData } from './eval-data.js';
export { type LabelledBatches, type TokenAnalysisOptions, analysisStudent, recordedTeacher, analyzeTokens } from './token-analysis.js';
export { type AnalyzeRunOptions, analyzeRun } from './analyze-run.js';
export {
  type Engine,
  type OnnxEngineEnv,
  type OnnxEngineOptions,
  type OrtEngineModel,
  type ExportableFingerprintedTeacher,
  ENGINES,
  onnxCacheDir,
  ortPackageName,
  isOnnxWeights,
  onnxFileFor,
  loadOrtModel,
  ortTeacherOf,
} from './onnx-engine.js';
export { type ExportChoiceOptions, type ExportChoiceResult, runClassNames, exportPreprocessing, exportChoice } from './onnx-export.js';
