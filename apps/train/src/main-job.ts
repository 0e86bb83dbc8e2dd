import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeitError, tf } from '@deitjs/core';
import { analyzeRun } from '@deitjs/recipes';
import { readRunInfo, writeJobInfo, writeRunReport } from '@deitjs/run';
import { runTrainingInChild } from './child-run.js';
import type { TrainIO } from './io.js';
import { DEFAULT_OPTIONS, type TrainOptions } from './options.js';
import { defaultRunDir, runTraining, type TrainRunResult } from './train-run.js';

/**
 * The embedded main job's recipe (shared/reference/mnist-effect.md, "Nine seeds … soft distillation helps"): 1,000
 * MNIST digits (100 per class) for training, 2,000 for test, 28×28 zero-padded to 32×32, one channel with MNIST's
 * mean/std, light ±2 px shifts; a ResNet-like CNN teacher; then three DeiTs (patch 8, dim 64, depth 4, 2 heads) with
 * the same initialisation and batches: soft distillation (τ 3, α 0.5), hard distillation (α 0.5) and none (the twin).
 */
export const MAIN_JOB_RECIPE = {
  trainPerClass: 100,
  testPerClass: 200,
  batchSize: 32,
  teacher: { model: 'resnet_mnist', epochs: 30, lr: 2e-3 },
  student: { model: 'deit_mini_distilled_patch8_32', epochs: 60, lr: 1e-3 },
  soft: { alpha: 0.5, tau: 3 },
  hard: { alpha: 0.5 },
} as const;

/** Options of the main job (everything else is the recipe). */
export interface MainJobOptions {
  /** Seed of the split, the initialisations and the batches. */
  seed: number;
  /** Parent folder of the four run directories. */
  output: string;
  /** Scale the epochs (e.g. 0.1 for a quick look); 1 is the recipe. */
  epochScale: number;
  /** Data loader worker threads. */
  numWorkers: number;
  /** Input channels (`--in-chans`; 0: one grey channel, the recipe). */
  inChans?: number;
  /** What computes the DeiT students' training steps (`--engine`; default tfjs). */
  engine?: 'tfjs' | 'onnx';
  /** Override the recipe's training digits per class (tests use a handful). */
  trainPerClass?: number;
  /** Override the recipe's test digits per class. */
  testPerClass?: number;
  /**
   * The built `deit-train` CLI: when it exists, the twin and then the hard student train in a child process on the
   * second core while the teacher and the soft student train here (TF.js wasm runs one thread per process). Default:
   * `cli.js` beside this module, which exists in the built package; otherwise the stages run one after another.
   */
  cliPath?: string | null;
}

function builtCliPath(): string | null {
  try {
    const p = fileURLToPath(new URL('./cli.js', import.meta.url));
    return existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

/** The stages of the main job, in table order. */
export const MAIN_JOB_STAGES = ['teacher', 'soft student', 'hard student', 'baseline (no distillation)'] as const;

/** One stage of the main job. */
export type MainJobStage = (typeof MAIN_JOB_STAGES)[number];

/** One row of the summary. */
export interface StageResult {
  /** Stage name. */
  stage: MainJobStage;
  /** The run. */
  run: TrainRunResult;
  /** cos(cls token, dist token) per layer (the token analysis), for the DeiT stages. */
  cosine?: { name: string; cosine: number }[];
}

/**
 * The token analysis of a student's run directory, in this process on the current backend (analysis.json, as
 * `deit-eval analyze --run DIR` writes it). Returns the cosine per layer; a run-directory problem is reported and
 * gives undefined, so the other stages' results still print.
 */
async function analyzeStudent(runDir: string, io: TrainIO): Promise<{ name: string; cosine: number }[] | undefined> {
  try {
    const { report } = await analyzeRun(readRunInfo(runDir), { warn: (m) => void io.stderr.write(`deit-train: warning: ${m}\n`) });
    return report.layers.map(({ name, cosine }) => ({ name, cosine }));
  } catch (err) {
    if (!(err instanceof DeitError)) throw err;
    io.stderr.write(`deit-train: analysis of ${runDir} failed: ${err.message}\n`);
    return undefined;
  }
}

function recipeOptions(job: MainJobOptions): TrainOptions {
  return {
    ...DEFAULT_OPTIONS,
    data: 'mnist',
    dataSet: 'mnist',
    inputSize: 32,
    inChans: job.inChans ?? 0,
    trainPerClass: job.trainPerClass ?? MAIN_JOB_RECIPE.trainPerClass,
    testPerClass: job.testPerClass ?? MAIN_JOB_RECIPE.testPerClass,
    batchSize: MAIN_JOB_RECIPE.batchSize,
    seed: job.seed,
    numWorkers: job.numWorkers,
    // Light, label-preserving augmentation; deit's strong recipe underfits this budget (mnist-effect.md).
    aa: 'none',
    reprob: 0,
    mixup: 0,
    cutmix: 0,
    shift: 2,
    smoothing: 0.1,
    unscaleLr: true,
    weightDecay: 0.05,
    minLr: 1e-5,
    warmupLr: 1e-6,
    dropPath: 0.1,
    evalEvery: 10,
  };
}

const epochs = (n: number, scale: number): number => Math.max(1, Math.round(n * scale));

/** The run directory of each stage under the job's output folder. */
export const STAGE_DIRS: Readonly<Record<MainJobStage, string>> = {
  teacher: 'teacher',
  'soft student': 'student-soft',
  'hard student': 'student-hard',
  'baseline (no distillation)': 'student-baseline',
};

/**
 * Runs the four stages and returns their results in {@link MAIN_JOB_STAGES} order: the teacher, then three students
 * with the same initialisation and batches (soft, hard, none). With the built CLI, the twin and then the hard student
 * (once the teacher is trained) run in a child process on the second core while the teacher and the soft student run
 * here; each ONNX Runtime engine then keeps to one thread.
 */
export async function runMainJob(job: MainJobOptions, io: TrainIO): Promise<StageResult[]> {
  const base = recipeOptions(job);
  const tEpochs = epochs(MAIN_JOB_RECIPE.teacher.epochs, job.epochScale);
  const sEpochs = epochs(MAIN_JOB_RECIPE.student.epochs, job.epochScale);
  const say = (s: string): void => void io.stderr.write(`\n== ${s}\n`);
  const cli = job.cliPath === undefined ? builtCliPath() : job.cliPath;
  const dir = (stage: MainJobStage): string => join(job.output, STAGE_DIRS[stage]);
  const teacherDir = dir('teacher');

  const student: TrainOptions = {
    ...base,
    model: MAIN_JOB_RECIPE.student.model,
    epochs: sEpochs,
    lr: MAIN_JOB_RECIPE.student.lr,
    warmupEpochs: Math.max(1, Math.round(sEpochs / 10)),
    engine: job.engine ?? 'tfjs',
    // Two processes share the two cores: one ONNX Runtime thread each.
    engineThreads: cli !== null ? 1 : 0,
  };
  const options: Record<Exclude<MainJobStage, 'teacher'>, TrainOptions> = {
    'soft student': { ...student, distillationType: 'soft', distillationAlpha: MAIN_JOB_RECIPE.soft.alpha, distillationTau: MAIN_JOB_RECIPE.soft.tau, teacherRun: teacherDir, output: dir('soft student') },
    'hard student': { ...student, distillationType: 'hard', distillationAlpha: MAIN_JOB_RECIPE.hard.alpha, teacherRun: teacherDir, output: dir('hard student') },
    'baseline (no distillation)': { ...student, distillationType: 'none', output: dir('baseline (no distillation)') },
  };
  const inChild = (stage: Exclude<MainJobStage, 'teacher'>, label: string): Promise<TrainRunResult> => {
    mkdirSync(options[stage].output, { recursive: true });
    return runTrainingInChild(cli!, { ...options[stage], backend: tf.getBackend() }, io, label);
  };

  let twin: Promise<TrainRunResult> | undefined;
  if (cli !== null) {
    // The twin needs no teacher: it trains on the other core while the teacher trains here.
    say(`stage 4/4 (in a child process, alongside stage 1): the same ${student.model} without distillation, ${sEpochs} epochs`);
    twin = inChild('baseline (no distillation)', 'baseline');
    // Surface a failure at the end, after the other stages, not as an unhandled rejection.
    twin.catch(() => undefined);
  }

  say(`stage 1/4: teacher ${MAIN_JOB_RECIPE.teacher.model}, ${tEpochs} epochs`);
  const teacher = await runTraining(
    {
      ...base,
      model: MAIN_JOB_RECIPE.teacher.model,
      epochs: tEpochs,
      lr: MAIN_JOB_RECIPE.teacher.lr,
      warmupEpochs: Math.max(1, Math.round(tEpochs / 10)),
      dropPath: 0,
      distillationType: 'none',
      output: teacherDir,
    },
    io,
  );

  let hard: Promise<TrainRunResult> | undefined;
  if (twin !== undefined) {
    say(`stage 3/4 (in a child process, after the twin): ${student.model} with hard distillation (α 0.5), ${sEpochs} epochs`);
    hard = twin.then(
      () => inChild('hard student', 'hard'),
      () => inChild('hard student', 'hard'),
    );
    hard.catch(() => undefined);
  }

  say(`stage 2/4: ${student.model} with soft distillation (τ 3, α 0.5) from the teacher, ${sEpochs} epochs`);
  const soft = await runTraining(options['soft student'], io);

  if (hard === undefined) {
    say(`stage 3/4: ${student.model} with hard distillation (α 0.5), ${sEpochs} epochs`);
    hard = runTraining(options['hard student'], io);
  }
  const hardRun = await hard;
  if (twin === undefined) {
    say(`stage 4/4: the same ${student.model} without distillation (same initialisation and batches), ${sEpochs} epochs`);
    twin = runTraining(options['baseline (no distillation)'], io);
  }
  const twinRun = await twin;

  const out: StageResult[] = [
    { stage: 'teacher', run: teacher },
    { stage: 'soft student', run: soft },
    { stage: 'hard student', run: hardRun },
    { stage: 'baseline (no distillation)', run: twinRun },
  ];
  say('analysis: cos(cls token, dist token) per layer of the three students (analysis.json); report.html shows them side by side');
  for (const s of out.slice(1)) s.cosine = await analyzeStudent(s.run.runDir, io);
  // job.json lists the stages: each run's report.html compares the students (reports are rewritten with it).
  writeJobInfo(job.output, {
    job: 'deit-train main job',
    seed: job.seed,
    twin: STAGE_DIRS['baseline (no distillation)'],
    stages: out.map((s) => ({ label: s.stage, dir: STAGE_DIRS[s.stage] })),
  });
  for (const s of out) writeRunReport(s.run.runDir);
  return out;
}

/** The default output folder of the main job. */
export function defaultMainJobDir(): string {
  return defaultRunDir('mnist-main');
}
