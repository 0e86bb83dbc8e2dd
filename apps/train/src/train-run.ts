import { existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError, type Module, type Normalization, type Teacher } from '@deitjs/core';
import { baseCriterion, distillationLoss, type DistillationType } from '@deitjs/losses';
import { createModel, resolveModel } from '@deitjs/models';
import { type ExportableFingerprintedTeacher, type ReplicaSpec, onnxCacheDir, ortTeacherOf, replicaScript, teacherFromRun } from '@deitjs/recipes';
import { RUN_FILES, RUN_FORMAT, type RunDescription, readRunInfo, writeRunInfo, writeRunReport } from '@deitjs/run';
import { createTeacher } from '@deitjs/teachers';
import { DataParallel, type EvalMetrics, isTorchCheckpoint, type Student, Trainer } from '@deitjs/trainer';
import { buildRunData } from './data-setup.js';
import { loadPretrained, withLocalWeights } from './pretrained.js';
import { teacherForChannels } from './teacher-channels.js';
import { type BuiltEngine, buildTrainEngine } from './train-engine.js';
import type { TrainIO } from './io.js';
import type { TrainOptions } from './options.js';

/** What one training run produced. */
export interface TrainRunResult {
  /** The run directory. */
  runDir: string;
  /** `run.json` of the run. */
  info: RunDescription;
  /** Trainable parameters of the model. */
  numParams: number;
  /** Epochs completed. */
  epochs: number;
  /** Whether it was stopped early (Ctrl-C). */
  stopped: boolean;
  /** Wall time of training (evaluations included) in seconds. */
  seconds: number;
  /** Training images per second (images seen ÷ training time, evaluations excluded). */
  imagesPerSecond: number;
  /** The last evaluation. */
  lastEval: EvalMetrics | undefined;
}

/** A registered DeiT (a student run) or CNN (a teacher run) by name, for training; unknown names are the registry's ConfigError. */
function buildModel(options: TrainOptions, numClasses: number, inChans: number): { model: Student & Module; kind: RunDescription['kind']; distilled: boolean } {
  const { family } = resolveModel(options.model, '--model');
  // A CNN ignores the DeiT-only options (input size, stochastic depth); both take the input channels.
  const model = createModel(options.model, { numClasses, imgSize: options.inputSize, dropPathRate: options.dropPath, seed: options.seed, inChans });
  return { model, kind: family === 'deit' ? 'student' : 'teacher', distilled: model.distilled };
}

type BuiltTeacher = { teacher: Teacher; dispose(): void; info: Pick<RunDescription, 'teacher' | 'teacherRun'>; inChans: number };

function buildTfjsTeacher(options: TrainOptions, numClasses: number, studentNormalization: Normalization): BuiltTeacher | undefined {
  if (options.distillationType === 'none') return undefined;
  if (options.teacherRun !== '') {
    // teacherFromRun checks the directory first (its errors name --teacher-run); then its input channels.
    const built = teacherFromRun(options.teacherRun, numClasses, { studentNormalization });
    return { ...built, info: { teacherRun: resolve(options.teacherRun) }, inChans: readRunInfo(options.teacherRun).inChans ?? 3 };
  }
  if (options.teacherWeights === '') {
    throw new ConfigError('--teacher-weights', `distillation "${options.distillationType}" needs a trained teacher: --teacher NAME --teacher-weights FILE, or --teacher-run DIR`);
  }
  const t = createTeacher(options.teacher, { weights: options.teacherWeights, numClasses, inputNormalization: studentNormalization });
  return { teacher: t, dispose: () => t.model.dispose(), info: { teacher: options.teacher }, inChans: 3 };
}

/**
 * The frozen teacher on `--teacher-engine`: TF.js, or ONNX Runtime (the TF.js teacher exported once per weights
 * fingerprint into the ONNX cache, then freed; one step after the other: overlapping the teacher's next batch with
 * the student's step did not pay on 2 cores, see @deitjs/onnx's README).
 */
async function buildTeacher(options: TrainOptions, numClasses: number, studentNormalization: Normalization, io: TrainIO): Promise<BuiltTeacher | undefined> {
  const built = buildTfjsTeacher(options, numClasses, studentNormalization);
  if (built === undefined || options.teacherEngine !== 'onnx') return built;
  try {
    const onExport = (f: string) => io.stderr.write(`deit-train: exporting the teacher to ONNX once (cache ${onnxCacheDir(io.env)}): ${f}\n`);
    const ort = await ortTeacherOf(built.teacher as ExportableFingerprintedTeacher, { env: io.env, onExport, imgSize: options.inputSize });
    io.stderr.write(`deit-train: teacher ${ort.name} on ONNX Runtime\n`);
    return { teacher: ort, dispose: () => void ort.dispose(), info: built.info, inChans: built.inChans };
  } finally {
    built.dispose();
  }
}

/**
 * `--data-parallel N`: N-1 worker-thread replicas of the model (@deitjs/recipes' replica script). A named teacher with
 * weights runs in each replica on its share; a teacher from `--teacher-run` or on ONNX Runtime (its own threads) runs
 * here on the whole batch and its logits are sent along.
 */
async function startDataParallel(options: TrainOptions, numClasses: number, inChans: number, model: Student & Module): Promise<DataParallel | undefined> {
  if (options.dataParallel <= 1) return undefined;
  if (inChans !== 3 && options.distillationType !== 'none' && options.teacherRun === '' && options.teacherEngine !== 'onnx') {
    throw new ConfigError('--data-parallel', 'a one-channel student with a named teacher in the replicas is not supported: use --teacher-run or --in-chans 3');
  }
  const spec: ReplicaSpec = {
    model: options.model,
    numClasses,
    imgSize: options.inputSize,
    inChans,
    dropPathRate: options.dropPath,
    loss: {
      type: options.distillationType as DistillationType,
      alpha: options.distillationAlpha,
      tau: options.distillationTau,
      mixup: options.mixup > 0 || options.cutmix > 0,
      smoothing: options.smoothing,
      bceLoss: options.bceLoss,
    },
    ...(options.distillationType !== 'none' && options.teacherRun === '' && options.teacherWeights !== '' && options.teacherEngine !== 'onnx'
      ? { teacher: { name: options.teacher, weights: resolve(options.teacherWeights) } }
      : {}),
  };
  const dp = await DataParallel.start({ script: await replicaScript(), replicas: options.dataParallel - 1, replicaOptions: spec });
  try {
    dp.checkModel(model.trainableVariables());
  } catch (err) {
    await dp.close();
    throw err;
  }
  return dp;
}

/** A fresh run directory name under `runs/` when `--output` is not given. */
export function defaultRunDir(label: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return join('runs', `${label}-${stamp}`);
}

/** Trains one model as the options describe: data, model, optional teacher, loss, trainer, run directory. */
export async function runTraining(options: TrainOptions, io: TrainIO, hooks: { label?: string } = {}): Promise<TrainRunResult> {
  // A downloadable --teacher-weights (pretrained, hf-hub:…, a URL) is a cached file from here on.
  options = await withLocalWeights(options, io);
  const data = buildRunData(options);
  const { model, kind, distilled } = buildModel(options, data.numClasses, data.inChans);
  let teacher: BuiltTeacher | undefined;
  try {
    await loadPretrained(model, options, io);
    if (options.distillationType !== 'none' && !distilled) {
      throw new ConfigError('--distillation-type', `${options.model} has no distillation head; use a *_distilled_* model or --distillation-type none`);
    }
    teacher = await buildTeacher(options, data.numClasses, data.normalization, io);
    if (teacher !== undefined) teacher = { ...teacher, teacher: teacherForChannels(teacher.teacher, teacher.inChans, data.inChans, options.teacherRun !== '' ? '--teacher-run' : '--teacher') };
  } catch (err) {
    teacher?.dispose();
    model.dispose();
    throw err;
  }
  // --resume takes the run directory or its last checkpoint, or deit main.py's checkpoint.pth (then a new run directory).
  const fromDeit = options.resume !== '' && existsSync(options.resume) && statSync(options.resume).isFile() && isTorchCheckpoint(options.resume);
  const resumeDir = basename(options.resume) === RUN_FILES.last ? dirname(options.resume) : options.resume;
  const runDir = options.resume !== '' && !fromDeit ? resumeDir : options.output || defaultRunDir(hooks.label ?? options.model);
  mkdirSync(runDir, { recursive: true });
  const info: RunDescription = {
    format: RUN_FORMAT,
    kind,
    model: options.model,
    numClasses: data.numClasses,
    imgSize: options.inputSize,
    ...(data.inChans === 1 ? { inChans: 1 as const } : {}),
    distilled,
    data: data.info,
    normalization: data.normalization,
    preprocessing: data.preprocessing,
    ...(teacher?.info ?? {}),
  };
  writeRunInfo(runDir, info);
  const base = baseCriterion({ mixup: options.mixup > 0 || options.cutmix > 0, smoothing: options.smoothing, bceLoss: options.bceLoss });
  const loss = distillationLoss({
    base,
    type: options.distillationType as DistillationType,
    alpha: options.distillationAlpha,
    tau: options.distillationTau,
  });
  const betas = options.optBetas.split(',').map(Number);
  if (betas.length !== 2 || betas.some((b) => !(b >= 0 && b < 1))) throw new ConfigError('--opt-betas', `expected two numbers in [0, 1) as "b1,b2", got "${options.optBetas}"`);
  let dataParallel: DataParallel | undefined;
  let engine: BuiltEngine | undefined;
  try {
    engine = await buildTrainEngine(options, model, io);
    dataParallel = await startDataParallel(options, data.numClasses, data.inChans, model);
  } catch (err) {
    await engine?.dispose();
    model.dispose();
    teacher?.dispose();
    await data.train.close();
    await data.eval.close();
    throw err;
  }
  let images = 0;
  let trainMs = 0;
  let stepStart = performance.now();
  const trainer = new Trainer({
    student: model,
    loss,
    train: data.train,
    eval: data.eval,
    teacher: teacher?.teacher,
    ...(dataParallel ? { dataParallel } : {}),
    ...(engine ? { engine: engine.engine } : {}),
    epochs: options.epochs,
    seed: options.seed,
    lr: options.lr,
    batchSize: options.batchSize,
    unscaleLr: options.unscaleLr,
    minLr: options.minLr,
    warmupLr: options.warmupLr,
    warmupEpochs: options.warmupEpochs,
    lrStepping: 'step',
    weightDecay: options.weightDecay,
    betas: [betas[0]!, betas[1]!],
    eps: options.optEps,
    ...(options.clipGrad > 0 ? { clipGrad: options.clipGrad } : {}),
    accumulation: options.accumSteps,
    ...(options.modelEma ? { emaDecay: options.modelEmaDecay } : {}),
    runDir,
    resume: fromDeit ? options.resume : options.resume !== '',
    handleSignals: true,
    evalEvery: options.evalEvery,
    progress: { stream: io.stderr, tty: io.stderr.isTTY === true },
    config: { app: 'deit-train', options: { ...options }, run: info },
    hooks: {
      onStep(s) {
        const now = performance.now();
        trainMs += now - stepStart;
        stepStart = now;
        images += s.images;
      },
      onEpochEnd() {
        // The epoch's evaluation is not training time.
        stepStart = performance.now();
      },
    },
  });
  const t0 = performance.now();
  try {
    const result = await trainer.run();
    const seconds = (performance.now() - t0) / 1000;
    writeRunReport(runDir);
    return {
      runDir,
      info,
      numParams: model.numParams(),
      epochs: result.epochsCompleted,
      stopped: result.stopped,
      seconds,
      imagesPerSecond: trainMs > 0 ? images / (trainMs / 1000) : 0,
      lastEval: result.lastEval,
    };
  } finally {
    await dataParallel?.close();
    await engine?.dispose();
    trainer.dispose();
    model.dispose();
    teacher?.dispose();
    await data.train.close();
    await data.eval.close();
  }
}

/** The accuracy a run's summary shows: mean of the heads (or the only head), cls and dist heads when distilled. */
export function headAccuracies(m: EvalMetrics | undefined): { mean?: number; cls?: number; dist?: number; teacherAgreement?: number } {
  if (!m) return {};
  return { mean: m.top1, cls: m.cls?.top1, dist: m.dist?.top1 };
}
