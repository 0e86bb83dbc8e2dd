import { type BatchSource, ConfigError, type LossFn, type Teacher } from '@deitjs/core';
import type { DataParallel } from './data-parallel.js';
import type { GradientEngine } from './gradient-engine.js';
import { type LrStepping, LrSchedule, scaleLr } from './lr-schedule.js';
import type { ProgressOptions } from './progress.js';
import type { Student } from './student.js';
import { TEACHER_FINGERPRINT_KEY } from './teacher-identity.js';
import type { TeacherCache } from './teacher-outputs.js';
import type { TrainerHooks } from './trainer-hooks.js';

/** Options of {@link Trainer}; defaults are deit's (spec §4.1). */
export interface TrainerOptions {
  /** The model being trained. */
  student: Student;
  /** The training loss (e.g. a distillation loss); gets the teacher logits when there is a teacher. */
  loss: LossFn;
  /** Training batches. */
  train: BatchSource;
  /** Evaluation batches (optional). */
  eval?: BatchSource;
  /** A live teacher; run without gradients on every training batch. */
  teacher?: Teacher;
  /** Precomputed teacher outputs for the training set by sample index (wins over `teacher` for training). */
  teacherCache?: TeacherCache;
  /** Precomputed teacher outputs for the evaluation set (for teacher agreement). */
  evalTeacherCache?: TeacherCache;
  /** Number of epochs. */
  epochs: number;
  /** Seed of the trainer's generator (drop path etc.; default 0). */
  seed?: number;
  /** Base learning rate before scaling (default 5e-4). */
  lr?: number;
  /** Micro-batch size per process: with `accumulation` and `worldSize` it scales the LR (required unless `unscaleLr`). */
  batchSize?: number;
  /** Processes in data-parallel training (default 1; this trainer runs one). */
  worldSize?: number;
  /** Use `lr` as given instead of `lr·batch·world/512` (deit `--unscale-lr`). */
  unscaleLr?: boolean;
  /** Cosine floor (default 1e-5). */
  minLr?: number;
  /** Warmup start (default 1e-6). */
  warmupLr?: number;
  /** Warmup epochs (default 5). */
  warmupEpochs?: number;
  /** When the LR changes (default `deit-epoch`, with deit's one-epoch lag; see {@link LrStepping}). */
  lrStepping?: LrStepping;
  /** Decoupled weight decay (default 0.05). */
  weightDecay?: number;
  /** Exact names exempt from weight decay besides rank ≤ 1 tensors and biases (default pos_embed, cls_token, dist_token). */
  noDecay?: readonly string[];
  /** Adam betas (default [0.9, 0.999]). */
  betas?: [number, number];
  /** Adam eps (default 1e-8). */
  eps?: number;
  /** Clip gradients to this global norm (default off, as deit). */
  clipGrad?: number;
  /** Micro-batches per optimiser update (default 1): their gradients are averaged. */
  accumulation?: number;
  /** Model EMA decay (deit 0.99996); off when absent. */
  emaDecay?: number;
  /** Run directory for weights, checkpoints and metrics (nothing is written without one). */
  runDir?: string;
  /** Resume: `true` for the run directory's `checkpoint-last`, or a checkpoint path. */
  resume?: boolean | string;
  /** Also save `checkpoint-last` every this many optimiser updates (long epochs); default only at epoch ends and on stop. */
  checkpointEverySteps?: number;
  /** Ctrl-C (SIGINT) stops at the next update boundary, saves `checkpoint-last` and returns; a second Ctrl-C exits at once (Node's default). */
  handleSignals?: boolean;
  /** Evaluate every this many epochs, and after the last (default 1). */
  evalEvery?: number;
  /** Progress display options, or false for none. */
  progress?: ProgressOptions | false;
  /** Callbacks. */
  hooks?: TrainerHooks;
  /** Extra configuration recorded in checkpoints (e.g. the app's full config). */
  config?: Record<string, unknown>;
  /**
   * Split every micro-batch over these worker-thread replicas (started and closed by the caller): same gradients as
   * one thread up to float summation order; drop-path masks differ from a single-thread run.
   */
  dataParallel?: DataParallel;
  /**
   * What computes each micro-batch's loss and gradients (default the tfjs engine), e.g. @deitjs/onnx's
   * `OrtTrainingEngine`; optimiser, clipping, EMA, schedule and checkpoints are the same whatever the engine.
   */
  engine?: GradientEngine;
}

/** deit's base learning rate (before scaling). */
const DEFAULT_LR = 5e-4;

/** What the trainer derives from its options. */
export interface TrainerSettings {
  /** Micro-batches per optimiser update. */
  accumulation: number;
  /** The peak LR after scaling. */
  peakLr: number;
}

function positiveInt(option: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0) throw new ConfigError(option, `must be a positive integer, got ${v}`);
  return v;
}

/**
 * Checks the options (a {@link ConfigError} naming the first bad one) and scales the LR as deit does:
 * peak = lr·batchSize·accumulation·worldSize/512, or `lr` as given with `unscaleLr`.
 */
export function resolveOptions(o: TrainerOptions): TrainerSettings {
  positiveInt('epochs', o.epochs);
  const accumulation = positiveInt('accumulation', o.accumulation ?? 1);
  positiveInt('evalEvery', o.evalEvery ?? 1);
  if (o.checkpointEverySteps !== undefined) positiveInt('checkpointEverySteps', o.checkpointEverySteps);
  const baseLr = o.lr ?? DEFAULT_LR;
  if (!Number.isFinite(baseLr) || baseLr < 0) throw new ConfigError('lr', `must be a finite number ≥ 0, got ${baseLr}`);
  let peakLr: number;
  if (o.unscaleLr) {
    peakLr = baseLr;
  } else {
    if (o.batchSize === undefined) throw new ConfigError('batchSize', 'needed to scale the learning rate (lr·batch·world/512); or set unscaleLr');
    peakLr = scaleLr(baseLr, o.batchSize * accumulation, o.worldSize ?? 1);
  }
  if (o.engine !== undefined && o.engine.name !== 'tfjs' && o.dataParallel !== undefined) {
    throw new ConfigError('engine', `the ${o.engine.name} engine runs the whole batch itself: drop dataParallel`);
  }
  if (o.resume === true && o.runDir === undefined) {
    throw new ConfigError('resume', 'resume: true needs a runDir (or pass a checkpoint path)');
  }
  return { accumulation, peakLr };
}

/** The run's LR schedule: warmup then cosine from the peak LR, over `ceil(batches / accumulation)` updates per epoch. */
export function lrScheduleOf(o: TrainerOptions, s: TrainerSettings): LrSchedule {
  const batches = positiveInt('train.batchesPerEpoch()', o.train.batchesPerEpoch());
  return new LrSchedule({
    lr: s.peakLr,
    epochs: o.epochs,
    updatesPerEpoch: Math.ceil(batches / s.accumulation),
    ...(o.minLr !== undefined ? { minLr: o.minLr } : {}),
    ...(o.warmupLr !== undefined ? { warmupLr: o.warmupLr } : {}),
    ...(o.warmupEpochs !== undefined ? { warmupEpochs: o.warmupEpochs } : {}),
    ...(o.lrStepping !== undefined ? { stepping: o.lrStepping } : {}),
  });
}

/**
 * The configuration a checkpoint records: every training setting with its default filled in (and the teacher's
 * weights fingerprint, when known, so a resume can tell another teacher), then `o.config`.
 */
export function recordedConfig(o: TrainerOptions, s: TrainerSettings, schedule: LrSchedule, teacherFingerprint?: string): Record<string, unknown> {
  return {
    epochs: o.epochs,
    seed: o.seed ?? 0,
    lr: o.lr ?? DEFAULT_LR,
    peakLr: s.peakLr,
    batchSize: o.batchSize ?? null,
    worldSize: o.worldSize ?? 1,
    accumulation: s.accumulation,
    schedule: schedule.options,
    weightDecay: o.weightDecay ?? 0.05,
    noDecay: o.noDecay ?? null,
    betas: o.betas ?? [0.9, 0.999],
    eps: o.eps ?? 1e-8,
    clipGrad: o.clipGrad ?? null,
    emaDecay: o.emaDecay ?? null,
    distillation: o.teacherCache !== undefined ? 'cache' : o.teacher !== undefined ? o.teacher.name : null,
    [TEACHER_FINGERPRINT_KEY]: o.teacherCache === undefined ? (teacherFingerprint ?? null) : null,
    ...(o.config ?? {}),
  };
}
