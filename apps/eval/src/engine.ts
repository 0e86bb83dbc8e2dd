import type { Classifier } from '@deitjs/core';
import { ENGINES, type Engine, type ModelChoice, loadModel, loadOrtModel, onnxCacheDir } from '@deitjs/recipes';
import type { CliIO } from './cli-io.js';
import { type CommandArgs, useBackend } from './command.js';
import { choiceFlag } from './flags.js';

/** Help lines of `--engine`, shared by the commands that take it. */
export const ENGINE_HELP = [
  '--engine tfjs|onnx: where the model runs (default tfjs: the TF.js backend). onnx runs it on ONNX Runtime',
  '(onnxruntime-node, an optional dependency); --weights may then also be an .onnx file or a folder written by',
  '`deit-eval export --format onnx`, else the checkpoint is exported on the fly once into $DEIT_ONNX_CACHE',
  '(default: deitjs-onnx in the OS temp folder), keyed by the SHA-256 of the weights file. $DEIT_ORT_PACKAGE',
  'names another onnxruntime package (e.g. onnxruntime-web).',
];

/** `--engine tfjs|onnx` (default tfjs). */
export function engineFlag(args: CommandArgs, name = 'engine'): Engine {
  return choiceFlag(args, name, ENGINES) ?? 'tfjs';
}

/** A model on either engine, as core's Classifier (eval mode), and how to free it. */
export interface EngineModel {
  model: Classifier;
  engine: Engine;
  /** The `.onnx` file run (onnx engine). */
  onnxFile?: string;
  dispose(): Promise<void>;
}

/**
 * The chosen model on the `--engine` of the command line. The backend is initialised either way: the ONNX engine
 * still builds the TF.js model to export it (when not cached) and computes softmax/metrics on TF.js tensors.
 */
export async function loadEngineModel(choice: ModelChoice, args: CommandArgs, io: CliIO): Promise<EngineModel> {
  const engine = engineFlag(args);
  const warn = (m: string) => io.stderr.write(`deit-eval: warning: ${m}\n`);
  await useBackend(args, io);
  if (engine === 'tfjs') {
    const { model } = loadModel(choice, warn);
    return { model, engine, dispose: async () => model.dispose() };
  }
  const { model, file } = await loadOrtModel(choice, {
    env: io.env,
    warn,
    onExport: (f) => io.stderr.write(`deit-eval: exporting ${choice.name} to ONNX once (cache ${onnxCacheDir(io.env)}): ${f}\n`),
  });
  io.stderr.write(`deit-eval: engine onnx (ONNX Runtime): ${file}\n`);
  return { model, engine, onnxFile: file, dispose: () => model.dispose() };
}
