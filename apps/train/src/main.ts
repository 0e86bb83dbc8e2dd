import { type BackendChoice, DeitError, describeBackend, initBackend, parseBackendChoice } from '@deitjs/core';
import { type TrainIO, processIO } from './io.js';
import { defaultMainJobDir, formatMainJobTable, runMainJob } from './main-job.js';
import { type TrainOptions, parseTrainArgs, trainUsage } from './options.js';
import { EXIT_USAGE, reportError } from './report-error.js';
import { mainJobEngine } from './train-engine.js';
import { runTraining } from './train-run.js';

export { EXIT_USAGE };

// Options that keep `deit-train` on the embedded main job; any other option describes a single training run.
const MAIN_JOB_KEYS: ReadonlySet<keyof TrainOptions> = new Set(['seed', 'output', 'backend', 'numWorkers', 'distillationType', 'epochScale', 'engine']);

async function startBackend(options: TrainOptions, io: TrainIO): Promise<void> {
  const choice: BackendChoice =
    options.backend !== '' ? parseBackendChoice(options.backend, '--backend') : parseBackendChoice(io.env.DEIT_BACKEND ?? 'auto', 'DEIT_BACKEND');
  const report = await initBackend(choice);
  io.stderr.write(`deit-train: ${describeBackend(report).replace(/\n/g, '\n  ')}\n`);
}

/**
 * Runs `deit-train` and returns the exit code. With no options (or only --seed, --output, --backend,
 * --num-workers, --distillation-type, --epoch-scale, --engine) it runs the embedded MNIST main job (its students on
 * the onnx engine when onnxruntime-node is installed); otherwise one training run.
 * Bad input prints one line `deit-train: <message>` and gives exit code 2.
 */
export async function main(argv: readonly string[], io: TrainIO = processIO()): Promise<number> {
  try {
    const { options, explicit, help } = parseTrainArgs(argv);
    if (help) {
      io.stdout.write(`${trainUsage()}\n`);
      return 0;
    }
    const mainJob = [...explicit].every((k) => MAIN_JOB_KEYS.has(k));
    if (mainJob && options.distillationType === 'none') options.distillationType = 'hard';
    if (mainJob && options.distillationType !== 'hard' && options.distillationType !== 'soft') {
      throw new DeitError('E_CONFIG', '--distillation-type: the main job distills (hard or soft)');
    }
    await startBackend(options, io);
    const t0 = performance.now();
    if (mainJob) {
      const output = options.output || defaultMainJobDir();
      io.stderr.write(`deit-train: the embedded MNIST job → ${output}\n`);
      if (!explicit.has('engine')) options.engine = await mainJobEngine(io);
      const stages = await runMainJob(
        { seed: options.seed, output, epochScale: options.epochScale, distillationType: options.distillationType as 'hard' | 'soft', numWorkers: options.numWorkers, engine: options.engine as 'tfjs' | 'onnx' },
        io,
      );
      io.stdout.write(`\n${formatMainJobTable(stages, (performance.now() - t0) / 1000)}\n`);
      return 0;
    }
    const r = await runTraining(options, io);
    if (options.json) {
      io.stdout.write(`${JSON.stringify(r)}\n`);
      return r.stopped ? 130 : 0;
    }
    const e = r.lastEval;
    const acc = e ? `top-1 ${e.top1.toFixed(2)} %${e.cls ? ` (cls ${e.cls.top1.toFixed(2)} %, dist ${e.dist?.top1.toFixed(2)} %)` : ''}, top-5 ${e.top5.toFixed(2)} %` : 'no evaluation';
    io.stdout.write(
      `${r.stopped ? 'stopped' : 'done'}: ${r.info.model}, ${r.epochs} epochs in ${r.seconds.toFixed(0)} s (${r.imagesPerSecond.toFixed(0)} img/s); ${acc}\nrun directory: ${r.runDir}\n`,
    );
    return r.stopped ? 130 : 0;
  } catch (err) {
    return reportError(err, io);
  }
}
