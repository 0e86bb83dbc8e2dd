import { type BackendChoice, ConfigError, describeBackend, initBackend, parseBackendChoice } from '@deitjs/core';
import { type TrainIO, processIO } from './io.js';
import { defaultMainJobDir, runMainJob } from './main-job.js';
import { runMainJobSeeds } from './main-job-seeds.js';
import { formatMainJobTable, seedAccuracies } from './main-job-table.js';
import { type TrainOptions, parseSeedList, parseTrainArgs, trainUsage } from './options.js';
import { formatSeedStatistics, seedStatistics } from './seed-stats.js';
import { EXIT_USAGE, reportError } from './report-error.js';
import { mainJobEngine } from './train-engine.js';
import { runTraining } from './train-run.js';

export { EXIT_USAGE };

// Options that keep `deit-train` on the embedded main job; any other option describes a single training run.
const MAIN_JOB_KEYS: ReadonlySet<keyof TrainOptions> = new Set(['seed', 'seeds', 'output', 'backend', 'numWorkers', 'epochScale', 'engine', 'inChans', 'json']);

async function startBackend(options: TrainOptions, io: TrainIO): Promise<void> {
  const choice: BackendChoice =
    options.backend !== '' ? parseBackendChoice(options.backend, '--backend') : parseBackendChoice(io.env.DEIT_BACKEND ?? 'auto', 'DEIT_BACKEND');
  const report = await initBackend(choice);
  io.stderr.write(`deit-train: ${describeBackend(report).replace(/\n/g, '\n  ')}\n`);
}

/**
 * Runs `deit-train` and returns the exit code. With no options (or only --seed, --seeds, --output, --backend,
 * --num-workers, --epoch-scale, --engine, --in-chans, --json) it runs the embedded MNIST main job (its students on
 * the onnx engine when onnxruntime-node is installed), once per seed with --seeds; otherwise one training run.
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
    if (!mainJob && options.seeds !== '') throw new ConfigError('--seeds', 'runs the main job once per seed: combine it only with --output, --backend, --num-workers, --epoch-scale, --engine, --in-chans, --json');
    const seeds = options.seeds !== '' ? parseSeedList(options.seeds) : undefined;
    if (seeds !== undefined && explicit.has('seed')) throw new ConfigError('--seeds', 'give --seed N or --seeds LIST, not both');
    await startBackend(options, io);
    const t0 = performance.now();
    if (mainJob) {
      const output = options.output || defaultMainJobDir();
      io.stderr.write(`deit-train: the embedded MNIST job → ${output}\n`);
      if (!explicit.has('engine')) options.engine = await mainJobEngine(io);
      const job = { epochScale: options.epochScale, numWorkers: options.numWorkers, engine: options.engine as 'tfjs' | 'onnx', inChans: options.inChans };
      const seconds = (): string => `total time: ${((performance.now() - t0) / 1000).toFixed(0)} s`;
      if (seeds !== undefined) {
        // With --json, stdout holds the JSON alone: the per-seed tables go to stderr.
        const stats = await runMainJobSeeds(job, seeds, output, io, options.json ? 'stderr' : 'stdout');
        if (options.json) io.stdout.write(`${JSON.stringify(stats)}\n`);
        else io.stdout.write(`\n${formatSeedStatistics(stats)}\n${seconds()}\n`);
        return 0;
      }
      const stages = await runMainJob({ ...job, seed: options.seed, output }, io);
      const table = formatMainJobTable(stages, (performance.now() - t0) / 1000);
      if (options.json) {
        io.stderr.write(`\n${table}\n`);
        io.stdout.write(`${JSON.stringify(seedStatistics([seedAccuracies(options.seed, stages)]))}\n`);
      } else io.stdout.write(`\n${table}\n`);
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
