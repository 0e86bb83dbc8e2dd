import { type Classifier, ConfigError, IMAGENET_NORMALIZATION, type Normalization, type Teacher, loadStateDictFile } from '@deitjs/core';
import { type DeiT, createModel, listModels, modelConfig } from '@deitjs/models';
import { type ConvNet, ConvNetTeacher, checkpointNumClasses, createConvNet, listTeachers, teacherArchitecture, teacherFromClassifier } from '@deitjs/teachers';
import { RUN_FILES, type RunInfo, runFile } from '@deitjs/run';

/** Which model to load, before anything is computed (no backend needed). */
export interface ModelChoice {
  /** Registry name. */
  name: string;
  /** A DeiT (`createModel`) or a CNN (`createConvNet`). */
  kind: 'student' | 'teacher';
  /** The checkpoint. */
  weights: string;
  /** Classes (default: the checkpoint's). */
  numClasses?: number;
  /** Input size. */
  imgSize: number;
  /** The model's input normalisation. */
  normalization: Normalization;
  /** The run it comes from. */
  run?: RunInfo;
}

/** A loaded model and what it was loaded from; dispose it. */
export interface LoadedModel extends ModelChoice {
  model: DeiT | ConvNet;
}

function knownNames(): string[] {
  return [...listModels(), ...listTeachers().map((t) => t.name)];
}

/** A ModelChoice for a run directory: its model.safetensors, classes, size and normalisation. */
export function runModelChoice(run: RunInfo, imgSize?: number): ModelChoice {
  const weights = runFile(run, RUN_FILES.model);
  return { name: run.model, kind: run.kind, weights, numClasses: run.numClasses, imgSize: imgSize ?? run.imgSize, normalization: run.normalization, run };
}

/** A ModelChoice for a registered name and a checkpoint. */
export function namedModelChoice(name: string, weights: string, option: string, numClasses?: number, imgSize?: number): ModelChoice {
  const isTeacher = listTeachers().some((t) => t.name === name);
  if (!isTeacher && !listModels().includes(name)) throw new ConfigError(option, `unknown model "${name}" (known: ${knownNames().join(', ')})`);
  if (isTeacher) {
    const arch = teacherArchitecture(name);
    return { name, kind: 'teacher', weights, numClasses, imgSize: imgSize ?? arch.imageSize, normalization: arch.normalization };
  }
  return { name, kind: 'student', weights, numClasses, imgSize: imgSize ?? modelConfig(name).imgSize, normalization: IMAGENET_NORMALIZATION };
}

/** Builds the chosen model and loads its weights (the backend must be initialised). */
export function loadModel(choice: ModelChoice, warn: (message: string) => void): LoadedModel {
  const sd = loadStateDictFile(choice.weights);
  if (choice.kind === 'teacher') {
    const model = createConvNet(choice.name, { weights: sd, numClasses: choice.numClasses ?? checkpointNumClasses(sd), source: choice.weights, warn });
    return { ...choice, numClasses: model.numClasses, model };
  }
  const numClasses = choice.numClasses ?? sd.get('head.weight')?.shape[0];
  const model = createModel(choice.name, { weights: sd, numClasses, imgSize: choice.imgSize, source: choice.weights, warn });
  return { ...choice, numClasses: model.numClasses, model };
}

/** A loaded model as a frozen teacher for a student fed with `studentNormalization`; dispose it when done. */
export function asTeacher(loaded: LoadedModel, studentNormalization: Normalization): Teacher & { dispose(): void } {
  const io = { name: loaded.name, inputNormalization: studentNormalization, normalization: loaded.normalization };
  if (loaded.kind === 'teacher') return new ConvNetTeacher(loaded.model as ConvNet, io);
  const t = teacherFromClassifier(loaded.model as Classifier, io);
  return { name: t.name, numClasses: t.numClasses, predict: (x) => t.predict(x), dispose: () => loaded.model.dispose() };
}
