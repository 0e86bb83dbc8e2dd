import { ConfigError } from '@deitjs/core';
import { ORT_PACKAGE, OrtTrainingEngine, OrtUnavailableError, type TrainableDeiT, loadOrt, trainingLossSpec } from '@deitjs/onnx';
import type { GradientEngine, Student } from '@deitjs/trainer';
import type { TrainIO } from './io.js';
import type { TrainOptions } from './options.js';

/** A built training engine and how to free it. */
export interface BuiltEngine {
  engine: GradientEngine;
  dispose(): Promise<void>;
}

function isDeiT(model: Student): model is Student & TrainableDeiT {
  const c = (model as Partial<TrainableDeiT>).config;
  return typeof c === 'object' && c !== null && 'embedDim' in c && 'patchSize' in c;
}

/**
 * `--engine onnx`: the whole training step (forward, loss, backward) of a DeiT as one ONNX Runtime graph; the
 * optimiser, schedule, EMA and checkpoints stay the trainer's. Undefined for `--engine tfjs` (the trainer's default).
 */
export async function buildTrainEngine(options: TrainOptions, model: Student, io: TrainIO): Promise<BuiltEngine | undefined> {
  if (options.engine !== 'onnx') return undefined;
  if (!isDeiT(model)) throw new ConfigError('--engine', `the onnx engine trains DeiT models; ${options.model} is not one (use --engine tfjs)`);
  if (options.dataParallel > 1) throw new ConfigError('--engine', 'the onnx engine runs the whole batch on its own threads: drop --data-parallel');
  const loss = trainingLossSpec({
    mixup: options.mixup > 0 || options.cutmix > 0,
    smoothing: options.smoothing,
    bceLoss: options.bceLoss,
    type: options.distillationType as 'none' | 'soft' | 'hard',
    alpha: options.distillationAlpha,
    tau: options.distillationTau,
  });
  const engine = await OrtTrainingEngine.create(model, loss, {
    ...(options.engineThreads > 0 ? { intraOpThreads: options.engineThreads } : {}),
    ...(io.env.DEIT_ORT_PACKAGE ? { loader: { packageName: io.env.DEIT_ORT_PACKAGE } } : {}),
  });
  io.stderr.write(`deit-train: training step on ONNX Runtime (onnx engine, ${loss.base} loss, distillation ${loss.type ?? 'none'}, ${engine.intraOpThreads} intra-op thread${engine.intraOpThreads === 1 ? '' : 's'})\n`);
  return { engine, dispose: () => engine.dispose() };
}

/**
 * The main job's engine when `--engine` is not given: onnx when onnxruntime-node loads (its one-seed run at the
 * recipe's scale stayed within the published six-seed noise), else tfjs. Says which, and why, on stderr.
 */
export async function mainJobEngine(io: TrainIO): Promise<'tfjs' | 'onnx'> {
  const packageName = io.env.DEIT_ORT_PACKAGE || ORT_PACKAGE;
  try {
    await loadOrt({ packageName });
  } catch (err) {
    if (!(err instanceof OrtUnavailableError)) throw err;
    io.stderr.write(`deit-train: the students train on TF.js (${packageName} is not available; install it for the onnx engine)\n`);
    return 'tfjs';
  }
  io.stderr.write(`deit-train: ${packageName} is installed: the students train on ONNX Runtime (--engine tfjs for TF.js)\n`);
  return 'onnx';
}
