import { type Classifier, type Normalization, type StateDict, loadStateDictFile } from '@deitjs/core';
import { type DeiT, createModel, resolveModel } from '@deitjs/models';
import { DEFAULT_EVAL_CROP_PCT, RUN_FILES, type RunInfo, type RunPreprocessing, runFile } from '@deitjs/run';
import { type ConvNet, ConvNetTeacher, type FingerprintedTeacher, checkpointNumClasses, teacherFromClassifier } from '@deitjs/teachers';

/** Which model to load, before anything is computed (no backend needed). */
export interface ModelChoice {
  /** Registry name. */
  name: string;
  /** A DeiT (`deit` family of the registry) or a CNN (`resnet`/`regnet`). */
  kind: 'student' | 'teacher';
  /** The checkpoint. */
  weights: string;
  /** Classes (default: the checkpoint's). */
  numClasses?: number;
  /** Input size. */
  imgSize: number;
  /** Input channels (default: the checkpoint's first layer's; 3 when it cannot tell). */
  inChans?: number;
  /** The model's input normalisation. */
  normalization: Normalization;
  /** How images are brought to the model's input: the run's, else the registry's normalisation with deit's eval crop. */
  preprocessing: RunPreprocessing;
  /** The run it comes from. */
  run?: RunInfo;
}

/** A loaded model and what it was loaded from; dispose it. */
export interface LoadedModel extends ModelChoice {
  model: DeiT | ConvNet;
}

/** A ModelChoice for a run directory: its model.safetensors, classes, size, normalisation and preprocessing. */
export function runModelChoice(run: RunInfo, imgSize?: number): ModelChoice {
  const weights = runFile(run, RUN_FILES.model);
  const size = imgSize ?? run.imgSize;
  // Another input size than the run's resizes to it; the rest of the run's preprocessing stays.
  const preprocessing: RunPreprocessing = { ...run.preprocessing, transform: { ...run.preprocessing.transform, size } };
  return { name: run.model, kind: run.kind, weights, numClasses: run.numClasses, imgSize: size, inChans: run.inChans ?? 3, normalization: run.normalization, preprocessing, run };
}

/**
 * A ModelChoice for a registered name (DeiT or CNN) and a checkpoint: input size and normalisation from the
 * registry's pretrained cfg, deit's eval resize + centre crop (`cropPct`, default 0.875). An unknown name is the
 * registry's ConfigError on `option`.
 */
export function namedModelChoice(name: string, weights: string, option: string, numClasses?: number, imgSize?: number, cropPct = DEFAULT_EVAL_CROP_PCT): ModelChoice {
  const info = resolveModel(name, option);
  const cfg = info.pretrainedCfg;
  const size = imgSize ?? cfg.inputSize[2];
  const normalization: Normalization = { mean: [...cfg.mean], std: [...cfg.std] };
  const preprocessing: RunPreprocessing = { transform: { kind: 'eval', size, cropPct, normalization }, interpolation: 'bicubic' };
  return { name, kind: info.family === 'deit' ? 'student' : 'teacher', weights, numClasses, imgSize: size, normalization, preprocessing };
}

/** Input channels of a timm-layout checkpoint: dim 1 of its first convolution (`[out, in, kh, kw]`); 3 when unknown. */
export function checkpointInChans(sd: StateDict): number {
  const first = sd.get('patch_embed.proj.weight') ?? sd.get('conv1.weight') ?? sd.get('stem.conv.weight');
  return first !== undefined && first.shape.length === 4 ? first.shape[1]! : 3;
}

/** Builds the chosen model through the registry's `createModel` and loads its weights (the backend must be initialised). */
export function loadModel(choice: ModelChoice, warn: (message: string) => void): LoadedModel {
  const sd = loadStateDictFile(choice.weights);
  const headClasses = choice.kind === 'teacher' ? checkpointNumClasses(sd) : sd.get('head.weight')?.shape[0];
  const inChans = choice.inChans ?? checkpointInChans(sd);
  const model = createModel(choice.name, { weights: sd, numClasses: choice.numClasses ?? headClasses, imgSize: choice.imgSize, inChans, source: choice.weights, warn });
  return { ...choice, numClasses: model.numClasses, inChans, model };
}

/**
 * A loaded model as a frozen teacher for a student fed with `studentNormalization` (its inputs are mapped to the
 * model's own normalisation); it fingerprints its weights for the teacher-output cache. Dispose it when done.
 */
export function asTeacher(loaded: LoadedModel, studentNormalization: Normalization): FingerprintedTeacher & { dispose(): void } {
  const io = { name: loaded.name, inputNormalization: studentNormalization, normalization: loaded.normalization };
  if (loaded.kind === 'teacher') return new ConvNetTeacher(loaded.model as ConvNet, io);
  const t = teacherFromClassifier(loaded.model as Classifier, io);
  // The network and its input mapping travel along, so that the teacher can be exported (ONNX engine).
  const teacher: FingerprintedTeacher & { dispose(): void; model: DeiT } & typeof io = { ...io, model: loaded.model as DeiT, numClasses: t.numClasses, predict: (x) => t.predict(x), fingerprint: () => t.fingerprint(), dispose: () => loaded.model.dispose() };
  return teacher;
}
