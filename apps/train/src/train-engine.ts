import { ConfigError } from '@deitjs/core';
import { OrtTrainingEngine, type TrainableDeiT, trainingLossSpec } from '@deitjs/onnx';
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
  const engine = await OrtTrainingEngine.create(model, loss, { ...(io.env.DEIT_ORT_PACKAGE ? { loader: { packageName: io.env.DEIT_ORT_PACKAGE } } : {}) });
  io.stderr.write(`deit-train: training step on ONNX Runtime (onnx engine, ${loss.base} loss, distillation ${loss.type ?? 'none'})\n`);
  return { engine, dispose: () => engine.dispose() };
}
