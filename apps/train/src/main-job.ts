import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeitError, tf } from '@deitjs/core';
import { analyzeRun } from '@deitjs/recipes';
import { readRunInfo, writeRunReport } from '@deitjs/run';
import { runTrainingInChild } from './child-run.js';
import { DEFAULT_OPTIONS, type TrainOptions } from './options.js';
import type { TrainIO } from './io.js';
import { defaultRunDir, runTraining, type TrainRunResult } from './train-run.js';

/**
 * The embedded main job's recipe (shared/reference/mnist-effect.md, "Setup that trained well"): 1,000 MNIST digits
 * (100 per class) for training, 2,000 for test, 28×28 zero-padded to 32×32, light ±2 px shifts; a ResNet-like CNN
 * teacher; a distilled DeiT (patch 8, dim 64, depth 4, 2 heads) with hard distillation (α 0.5), and the same DeiT
 * with the same initialisation and batches without distillation.
 */
export const MAIN_JOB_RECIPE = {
  trainPerClass: 100,
  testPerClass: 200,
  batchSize: 32,
  teacher: { model: 'resnet_mnist', epochs: 30, lr: 2e-3 },
  student: { model: 'deit_mini_distilled_patch8_32', epochs: 60, lr: 1e-3 },
} as const;

/** Options of the main job (everything else is the recipe). */
export interface MainJobOptions {
  /** Seed of the split, the initialisations and the batches. */
  seed: number;
  /** Parent folder of the three run directories. */
  output: string;
  /** Scale the epochs (e.g. 0.1 for a quick look); 1 is the recipe. */
  epochScale: number;
  /** Distillation of the student (default hard, the paper's main recipe). */
  distillationType: 'hard' | 'soft';
  /** Data loader worker threads. */
  numWorkers: number;
  /** What computes the DeiT students' training steps (`--engine`; default tfjs: the published accuracy table's). */
  engine?: 'tfjs' | 'onnx';
  /** Override the recipe's training digits per class (tests use a handful). */
  trainPerClass?: number;
  /** Override the recipe's test digits per class. */
  testPerClass?: number;
  /**
   * The built `deit-train` CLI: when it exists, the baseline trains in a child process alongside the teacher and the
   * distilled student (TF.js wasm runs one thread per process; this uses the second core). Default: `cli.js` beside
   * this module, which exists in the built package; otherwise the stages run one after another.
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

/** One row of the summary. */
export interface StageResult {
  /** Stage name. */
  stage: 'teacher' | 'distilled student' | 'baseline (no distillation)';
  /** The run. */
  run: TrainRunResult;
  /** cos(cls token, dist token) per layer (the token analysis), for the DeiT stages. */
  cosine?: { name: string; cosine: number }[];
}

/**
 * The token analysis of a student's run directory, in this process on the current backend (analysis.json, as
 * `deit-eval analyze --run DIR` writes it), then the run's report.html rewritten to hold its plots. Returns the
 * cosine per layer; a run-directory problem is reported and gives undefined, so the other stages' results still print.
 */
async function analyzeStudent(runDir: string, io: TrainIO): Promise<{ name: string; cosine: number }[] | undefined> {
  try {
    const { report } = await analyzeRun(readRunInfo(runDir), { warn: (m) => void io.stderr.write(`deit-train: warning: ${m}\n`) });
    writeRunReport(runDir);
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

/** Runs the three stages in order and returns their results. */
export async function runMainJob(job: MainJobOptions, io: TrainIO): Promise<StageResult[]> {
  const base = recipeOptions(job);
  const out: StageResult[] = [];
  const tEpochs = epochs(MAIN_JOB_RECIPE.teacher.epochs, job.epochScale);
  const sEpochs = epochs(MAIN_JOB_RECIPE.student.epochs, job.epochScale);
  const say = (s: string): void => void io.stderr.write(`\n== ${s}\n`);

  const student: TrainOptions = {
    ...base,
    model: MAIN_JOB_RECIPE.student.model,
    epochs: sEpochs,
    lr: MAIN_JOB_RECIPE.student.lr,
    warmupEpochs: Math.max(1, Math.round(sEpochs / 10)),
    engine: job.engine ?? 'tfjs',
  };
  const baselineOptions: TrainOptions = { ...student, distillationType: 'none', output: join(job.output, 'student-baseline') };
  const cli = job.cliPath === undefined ? builtCliPath() : job.cliPath;
  let baselineInChild: Promise<TrainRunResult> | undefined;
  if (cli !== null) {
    // The baseline needs no teacher: it trains on the other core while the teacher and the distilled student train here.
    say(`stage 3/3 (in a child process, alongside stages 1–2): the same ${student.model} without distillation, ${sEpochs} epochs`);
    mkdirSync(baselineOptions.output, { recursive: true });
    baselineInChild = runTrainingInChild(cli, { ...baselineOptions, backend: tf.getBackend() }, io, 'baseline');
    // Surface a failure at the end, after the other stages, not as an unhandled rejection.
    baselineInChild.catch(() => undefined);
  }

  say(`stage 1/3: teacher ${MAIN_JOB_RECIPE.teacher.model}, ${tEpochs} epochs`);
  const teacherDir = join(job.output, 'teacher');
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
  out.push({ stage: 'teacher', run: teacher });

  say(`stage 2/3: ${student.model} distilled from the teacher (${job.distillationType}, α 0.5), ${sEpochs} epochs`);
  const distilled = await runTraining(
    { ...student, distillationType: job.distillationType, distillationAlpha: 0.5, teacherRun: teacherDir, output: join(job.output, 'student-distilled') },
    io,
  );
  out.push({ stage: 'distilled student', run: distilled });

  let baseline: TrainRunResult;
  if (baselineInChild !== undefined) {
    baseline = await baselineInChild;
  } else {
    say(`stage 3/3: the same ${student.model} without distillation (same initialisation and batches), ${sEpochs} epochs`);
    baseline = await runTraining(baselineOptions, io);
  }
  out.push({ stage: 'baseline (no distillation)', run: baseline });
  say('analysis: cos(cls token, dist token) per layer of both students (analysis.json), report.html updated');
  for (const s of out.slice(1)) s.cosine = await analyzeStudent(s.run.runDir, io);
  return out;
}

/** The default output folder of the main job. */
export function defaultMainJobDir(): string {
  return defaultRunDir('mnist-main');
}

const pct = (v: number | undefined): string => (v === undefined ? '–' : `${v.toFixed(1)} %`);

/** The summary table printed at the end of the main job. */
export function formatMainJobTable(stages: StageResult[], totalSeconds: number): string {
  const header = ['stage', 'model', 'params', 'acc (mean)', 'acc cls', 'acc dist', 'teacher agr.', 'time', 'train img/s', 'run directory'];
  const rows = stages.map(({ stage, run }) => {
    const e = run.lastEval;
    return [
      stage,
      run.info.model,
      run.numParams.toLocaleString('en-US'),
      pct(e?.top1),
      pct(e?.cls?.top1),
      pct(e?.dist?.top1),
      e?.teacherAgreement ? pct(e.teacherAgreement.output) : '–',
      `${run.seconds.toFixed(0)} s`,
      run.imagesPerSecond.toFixed(0),
      run.runDir,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const d = stages.find((s) => s.stage === 'distilled student')?.run.lastEval?.top1;
  const b = stages.find((s) => s.stage === 'baseline (no distillation)')?.run.lastEval?.top1;
  const diff = d !== undefined && b !== undefined ? `distilled − baseline (mean of heads): ${(d - b >= 0 ? '+' : '') + (d - b).toFixed(1)} points (one seed; the README gives six)` : '';
  const cos = stages
    .filter((s) => s.cosine !== undefined)
    .map((s) => `cos(cls, dist) of the ${s.stage}: ${s.cosine!.map((c) => `${c.name} ${c.cosine.toFixed(2)}`).join(' → ')}`);
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), '', diff, ...cos, `total time: ${totalSeconds.toFixed(0)} s`]
    .filter((s) => s !== '')
    .join('\n');
}
