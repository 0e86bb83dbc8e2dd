import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type BatchSource, ConfigError, Rng, type Teacher, tf, writeSafetensors } from '@deitjs/core';
import { AdamW } from './adamw.js';
import { type TrainingState, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { clipGradNorm } from './clip-grad.js';
import type { DataParallel } from './data-parallel.js';
import { type EvalMetrics, evaluate } from './evaluate.js';
import { type LrStepping, LrSchedule, scaleLr } from './lr-schedule.js';
import { type GradientModel, lossAndGradients } from './loss-gradients.js';
import { appendJsonLine, filterJsonLines } from './metrics-log.js';
import { ModelEma } from './model-ema.js';
import { NonFiniteLossError } from './non-finite-loss-error.js';
import { paramGroups } from './param-groups.js';
import { Progress, type ProgressOptions } from './progress.js';
import type { Student } from './student.js';
import { type TeacherCache, teacherOutputs } from './teacher-outputs.js';
import type { TrainerLoss } from './trainer-loss.js';

/** File names inside a run directory. */
export const RUN_FILES = {
  /** Final (latest) weights, PyTorch layout, timm-compatible. */
  model: 'model.safetensors',
  /** EMA weights, when EMA is on. */
  modelEma: 'model-ema.safetensors',
  /** Everything needed to resume, updated at each epoch end and on stop. */
  last: 'checkpoint-last.safetensors',
  /** The checkpoint of the best evaluation so far. */
  best: 'checkpoint-best.safetensors',
  /** One JSON line per epoch. */
  metrics: 'metrics.jsonl',
} as const;

/** One optimiser update, as hooks see it. */
export interface StepInfo {
  /** Epoch (0-based). */
  epoch: number;
  /** Micro-batches of this epoch done, this update's included. */
  batch: number;
  /** Micro-batches per epoch. */
  batchesPerEpoch: number;
  /** Optimiser updates done over the run, this one included. */
  update: number;
  /** Mean loss of the micro-batches of this update. */
  loss: number;
  /** Means of the loss's named parts over this update's micro-batches (when the loss returns parts). */
  parts?: Record<string, number>;
  /** Learning rate of this update. */
  lr: number;
  /** Global gradient norm before clipping (only when clipping is on; reading it costs a sync). */
  gradNorm?: number;
  /** Images in this update. */
  images: number;
}

/** A finished epoch, as hooks and `metrics.jsonl` see it. */
export interface EpochRecord {
  /** Always `epoch`. */
  type: 'epoch';
  /** Epoch (0-based). */
  epoch: number;
  /** Optimiser updates done after this epoch. */
  update: number;
  /** Mean training loss over the epoch's micro-batches. */
  trainLoss: number;
  /** Epoch means of the loss's named parts (when the loss returns parts). */
  trainLossParts?: Record<string, number>;
  /** Learning rate of the epoch's last update. */
  lr: number;
  /** Wall time of the epoch in seconds (this process's part of it after a resume). */
  seconds: number;
  /** Evaluation, when run this epoch. */
  eval?: EvalMetrics;
  /** Whether this epoch is the best so far. */
  best: boolean;
}

/** Callbacks; async ones are awaited. */
export interface TrainerHooks {
  /** After every optimiser update. */
  onStep?(info: StepInfo): void | Promise<void>;
  /** After every epoch (after its evaluation and checkpoints). */
  onEpochEnd?(record: EpochRecord): void | Promise<void>;
}

/** Options of {@link Trainer}; defaults are deit's (spec §4.1). */
export interface TrainerOptions {
  /** The model being trained. */
  student: Student;
  /** The training loss (e.g. a distillation loss); gets the teacher logits when there is a teacher. */
  loss: TrainerLoss;
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
}

/** What {@link Trainer.run} returns. */
export interface RunResult {
  /** Epochs fully completed (over the whole run, resumed part included). */
  epochsCompleted: number;
  /** Whether the run stopped early (stop() or SIGINT). */
  stopped: boolean;
  /** The last evaluation, if any. */
  lastEval?: EvalMetrics;
  /** The best evaluation so far. */
  best: TrainingState['best'];
}

function addInto(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

function scaled(r: Record<string, number>, f: number): Record<string, number> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v * f]));
}

function positiveInt(option: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0) throw new ConfigError(option, `must be a positive integer, got ${v}`);
  return v;
}

/**
 * The DeiT training loop: batch → teacher outputs (live, no gradient; or cached) → student forward in training mode
 * → loss → gradients → (accumulate) → clip → AdamW (timm groups, cosine schedule) → EMA; evaluation with top-1/top-5
 * per head and teacher agreement; atomic checkpoints that resume to the same weights bit for bit.
 */
export class Trainer {
  /** The optimiser. */
  readonly optimizer: AdamW;
  /** The LR schedule. */
  readonly schedule: LrSchedule;
  /** The EMA of the weights, when on. */
  readonly ema: ModelEma | undefined;
  /** The peak LR after scaling. */
  readonly peakLr: number;
  private readonly o: TrainerOptions;
  private readonly accumulation: number;
  private readonly variables: Map<string, tf.Variable>;
  private readonly progress: Progress | undefined;
  private rng: Rng;
  private state: TrainingState;
  private stopRequested = false;

  constructor(options: TrainerOptions) {
    this.o = options;
    positiveInt('epochs', options.epochs);
    this.accumulation = positiveInt('accumulation', options.accumulation ?? 1);
    positiveInt('evalEvery', options.evalEvery ?? 1);
    if (options.checkpointEverySteps !== undefined) positiveInt('checkpointEverySteps', options.checkpointEverySteps);
    const baseLr = options.lr ?? 5e-4;
    if (!Number.isFinite(baseLr) || baseLr < 0) throw new ConfigError('lr', `must be a finite number ≥ 0, got ${baseLr}`);
    if (options.unscaleLr) {
      this.peakLr = baseLr;
    } else {
      if (options.batchSize === undefined) throw new ConfigError('batchSize', 'needed to scale the learning rate (lr·batch·world/512); or set unscaleLr');
      this.peakLr = scaleLr(baseLr, options.batchSize * this.accumulation, options.worldSize ?? 1);
    }
    if (options.resume === true && options.runDir === undefined) {
      throw new ConfigError('resume', 'resume: true needs a runDir (or pass a checkpoint path)');
    }
    this.variables = options.student.trainableVariables();
    const groups = paramGroups(this.variables, { weightDecay: options.weightDecay ?? 0.05, ...(options.noDecay ? { skip: options.noDecay } : {}) });
    this.optimizer = new AdamW(this.variables, groups, { ...(options.betas ? { betas: options.betas } : {}), ...(options.eps !== undefined ? { eps: options.eps } : {}) });
    const batches = positiveInt('train.batchesPerEpoch()', options.train.batchesPerEpoch());
    this.schedule = new LrSchedule({
      lr: this.peakLr,
      epochs: options.epochs,
      updatesPerEpoch: Math.ceil(batches / this.accumulation),
      ...(options.minLr !== undefined ? { minLr: options.minLr } : {}),
      ...(options.warmupLr !== undefined ? { warmupLr: options.warmupLr } : {}),
      ...(options.warmupEpochs !== undefined ? { warmupEpochs: options.warmupEpochs } : {}),
      ...(options.lrStepping !== undefined ? { stepping: options.lrStepping } : {}),
    });
    this.ema = options.emaDecay === undefined ? undefined : new ModelEma(options.student.namedParams(), options.emaDecay);
    this.progress = options.progress === false ? undefined : new Progress(options.progress ?? {});
    this.rng = new Rng(options.seed ?? 0);
    this.state = {
      epoch: 0,
      batchInEpoch: 0,
      update: 0,
      rng: this.rng.state(),
      epochLoss: { sum: 0, count: 0, parts: {} },
      best: null,
      config: this.recordedConfig(),
    };
  }

  private recordedConfig(): Record<string, unknown> {
    const o = this.o;
    return {
      epochs: o.epochs,
      seed: o.seed ?? 0,
      lr: o.lr ?? 5e-4,
      peakLr: this.peakLr,
      batchSize: o.batchSize ?? null,
      worldSize: o.worldSize ?? 1,
      accumulation: this.accumulation,
      schedule: this.schedule.options,
      weightDecay: o.weightDecay ?? 0.05,
      noDecay: o.noDecay ?? null,
      betas: o.betas ?? [0.9, 0.999],
      eps: o.eps ?? 1e-8,
      clipGrad: o.clipGrad ?? null,
      emaDecay: o.emaDecay ?? null,
      distillation: o.teacherCache !== undefined ? 'cache' : o.teacher !== undefined ? o.teacher.name : null,
      ...(o.config ?? {}),
    };
  }

  /** Asks a running `run()` to stop at the next optimiser-update boundary; it then saves `checkpoint-last` and returns. */
  stop(): void {
    this.stopRequested = true;
  }

  /** Where the run stands (a copy). */
  trainingState(): TrainingState {
    return structuredClone({ ...this.state, rng: this.rng.state() });
  }

  private file(name: keyof typeof RUN_FILES): string | undefined {
    return this.o.runDir === undefined ? undefined : join(this.o.runDir, RUN_FILES[name]);
  }

  private resumeFrom(): string | undefined {
    const r = this.o.resume;
    if (r === undefined || r === false) return undefined;
    const file = r === true ? this.file('last')! : r;
    if (!existsSync(file)) throw new ConfigError('resume', `no checkpoint at ${file}`);
    return file;
  }

  /** Trains to the last epoch (or until stopped), evaluating, logging and checkpointing along the way. */
  async run(): Promise<RunResult> {
    if (this.o.runDir !== undefined) mkdirSync(this.o.runDir, { recursive: true });
    this.stopRequested = false;
    const resume = this.resumeFrom();
    if (resume !== undefined) {
      this.state = loadCheckpoint(resume, { student: this.o.student, optimizer: this.optimizer, ema: this.ema });
      this.rng = Rng.fromState(this.state.rng);
      // Later checkpoints record this run's configuration (e.g. a longer `epochs`), not the interrupted one's.
      this.state.config = this.recordedConfig();
      // Epochs that will run again must not be listed twice.
      const metrics = this.file('metrics');
      if (metrics !== undefined) filterJsonLines(metrics, (r) => (r as { epoch?: number }).epoch! < this.state.epoch);
      this.progress?.note(`resumed from ${resume} at epoch ${this.state.epoch + 1}, batch ${this.state.batchInEpoch}`);
    }
    const onSignal = (): void => {
      this.progress?.note('interrupt: stopping after the current update and saving checkpoint-last');
      this.stop();
    };
    if (this.o.handleSignals) process.once('SIGINT', onSignal);
    let lastEval: EvalMetrics | undefined;
    try {
      while (this.state.epoch < this.o.epochs) {
        const record = await this.trainEpoch();
        if (record === undefined) {
          this.saveLast();
          this.progress?.end({ epochs: this.state.epoch, stopped: true, best: this.state.best });
          return { epochsCompleted: this.state.epoch, stopped: true, ...(lastEval ? { lastEval } : {}), best: this.state.best };
        }
        if (record.eval !== undefined) lastEval = record.eval;
        await this.o.hooks?.onEpochEnd?.(record);
        if (this.stopRequested && this.state.epoch < this.o.epochs) {
          this.progress?.end({ epochs: this.state.epoch, stopped: true, best: this.state.best });
          return { epochsCompleted: this.state.epoch, stopped: true, ...(lastEval ? { lastEval } : {}), best: this.state.best };
        }
      }
      this.progress?.end({ epochs: this.state.epoch, stopped: false, best: this.state.best });
      return { epochsCompleted: this.state.epoch, stopped: false, ...(lastEval ? { lastEval } : {}), best: this.state.best };
    } finally {
      if (this.o.handleSignals) process.removeListener('SIGINT', onSignal);
    }
  }

  /** Evaluates the student on the eval source (or `source`), with teacher agreement when a teacher is available. */
  async evaluate(source: BatchSource | undefined = this.o.eval, epoch = 0): Promise<EvalMetrics> {
    if (source === undefined) throw new ConfigError('eval', 'no evaluation source');
    return evaluate(this.o.student, source, {
      epoch,
      ...(this.o.teacher ? { teacher: this.o.teacher } : {}),
      ...(this.o.evalTeacherCache ? { teacherCache: this.o.evalTeacherCache } : {}),
    });
  }

  /** One epoch from the current position; undefined when stopped before its end. */
  private async trainEpoch(): Promise<EpochRecord | undefined> {
    const epoch = this.state.epoch;
    const batchesPerEpoch = this.o.train.batchesPerEpoch();
    const skip = this.state.batchInEpoch;
    const started = performance.now();
    this.progress?.epochStart(epoch, this.o.epochs, batchesPerEpoch, skip);
    let index = 0;
    let pending = 0;
    let pendingLoss = 0;
    let pendingImages = 0;
    let pendingParts: Record<string, number> = {};
    let acc: Map<string, tf.Tensor> | undefined;
    let lr = this.schedule.lrAt(epoch, this.state.update);
    const iterator = this.o.train.epoch(epoch)[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        const batch = next.value;
        if (index < skip) {
          // A resumed epoch draws the same batches (sources are deterministic per epoch) and passes over those already trained.
          batch.images.dispose();
          batch.targets.dispose();
          index += 1;
          continue;
        }
        const images = batch.images.shape[0];
        let grads: Map<string, tf.Tensor>;
        let loss: number;
        let parts: Record<string, number>;
        try {
          const r = await this.gradients(batch, epoch, index);
          grads = r.grads;
          loss = r.loss;
          parts = r.parts;
        } finally {
          batch.images.dispose();
          batch.targets.dispose();
        }
        if (acc === undefined) {
          acc = grads;
        } else {
          for (const [k, g] of grads) {
            const prev = acc.get(k);
            if (prev === undefined) {
              acc.set(k, g);
            } else {
              acc.set(k, tf.add(prev, g));
              prev.dispose();
              g.dispose();
            }
          }
        }
        pending += 1;
        pendingLoss += loss;
        addInto(pendingParts, parts);
        addInto(this.state.epochLoss.parts, parts);
        pendingImages += images;
        index += 1;
        this.state.epochLoss.sum += loss;
        this.state.epochLoss.count += 1;
        if (pending === this.accumulation || index === batchesPerEpoch) {
          lr = await this.update(acc, pending, epoch, index, batchesPerEpoch, pendingLoss / pending, pendingImages, scaled(pendingParts, 1 / pending));
          acc = undefined;
          pending = 0;
          pendingLoss = 0;
          pendingImages = 0;
          pendingParts = {};
          // Let the event loop turn once per update: TF.js work and inline data loading only await microtasks, so without
          // this a Ctrl-C (SIGINT handler), timers and pipe I/O would wait until the run ends.
          await new Promise<void>((resolve) => setImmediate(resolve));
          if (this.stopRequested && index < batchesPerEpoch) return undefined;
        }
      }
      if (acc !== undefined) {
        // The source yielded fewer batches than announced: still apply what was accumulated.
        lr = await this.update(acc, pending, epoch, index, batchesPerEpoch, pendingLoss / pending, pendingImages, scaled(pendingParts, 1 / pending));
        acc = undefined;
      }
    } finally {
      if (acc !== undefined) for (const g of acc.values()) g.dispose();
      await iterator.return?.();
    }
    return this.finishEpoch(epoch, lr, (performance.now() - started) / 1000);
  }

  /** Gradients of one micro-batch's loss; throws {@link NonFiniteLossError} (freeing everything) on a NaN/Inf loss. */
  private async gradients(batch: { images: tf.Tensor4D; targets: tf.Tensor1D | tf.Tensor2D; indices?: Int32Array }, epoch: number, index: number) {
    const dp = this.o.dataParallel;
    // With replicas that run their own teacher, each share's teacher pass runs where the share is trained.
    const teacherInShares = dp !== undefined && this.o.teacherCache === undefined && this.o.teacher !== undefined && dp.replicasHaveTeacher;
    const teacher = teacherInShares
      ? undefined
      : teacherOutputs(batch, this.o.student.numClasses, {
          ...(this.o.teacher ? { teacher: this.o.teacher } : {}),
          ...(this.o.teacherCache ? { teacherCache: this.o.teacherCache } : {}),
        });
    const model: GradientModel = {
      student: this.o.student,
      loss: this.o.loss,
      variables: this.variables,
      ...(teacherInShares ? { teacher: this.o.teacher! } : {}),
    };
    let r: Awaited<ReturnType<typeof lossAndGradients>>;
    try {
      r = dp !== undefined
        ? await dp.lossAndGradients(model, batch.images, batch.targets, teacher, this.rng)
        : await lossAndGradients(model, batch.images, batch.targets, teacher, this.rng);
    } finally {
      teacher?.dispose();
    }
    if (!Number.isFinite(r.loss)) {
      for (const g of r.grads.values()) g.dispose();
      throw new NonFiniteLossError(epoch, index, r.loss);
    }
    return r;
  }

  /** Averages, clips and applies accumulated gradients (and disposes them); returns the LR used. */
  private async update(
    acc: Map<string, tf.Tensor>,
    count: number,
    epoch: number,
    batch: number,
    batchesPerEpoch: number,
    loss: number,
    images: number,
    parts: Record<string, number>,
  ): Promise<number> {
    let grads = acc;
    let gradNorm: number | undefined;
    try {
      if (count > 1) {
        grads = new Map([...acc].map(([k, g]) => [k, tf.div(g, count)]));
        for (const g of acc.values()) g.dispose();
      }
      if (this.o.clipGrad !== undefined) {
        const clipped = clipGradNorm(grads, this.o.clipGrad);
        for (const g of grads.values()) g.dispose();
        grads = clipped.grads;
        gradNorm = (await clipped.totalNorm.data())[0]!;
        clipped.totalNorm.dispose();
      }
      const lr = this.schedule.lrAt(epoch, this.state.update);
      this.optimizer.step(grads, lr);
      this.ema?.update();
      this.state.update += 1;
      this.state.batchInEpoch = batch;
      const every = this.o.checkpointEverySteps;
      // Epoch ends save anyway (after evaluation), so only mid-epoch boundaries are saved here.
      if (every !== undefined && this.state.update % every === 0 && batch < batchesPerEpoch) this.saveLast();
      const info: StepInfo = { epoch, batch, batchesPerEpoch, update: this.state.update, loss, lr, images };
      if (gradNorm !== undefined) info.gradNorm = gradNorm;
      if (Object.keys(parts).length > 0) info.parts = parts;
      this.progress?.step({ epoch, batch, loss, lr, images });
      await this.o.hooks?.onStep?.(info);
      return lr;
    } finally {
      for (const g of grads.values()) if (!g.isDisposed) g.dispose();
      if (grads !== acc) for (const g of acc.values()) if (!g.isDisposed) g.dispose();
    }
  }

  private async finishEpoch(epoch: number, lr: number, seconds: number): Promise<EpochRecord> {
    const { sum, count, parts } = this.state.epochLoss;
    const trainLoss = count === 0 ? Number.NaN : sum / count;
    const trainLossParts = scaled(parts, 1 / count);
    const every = this.o.evalEvery ?? 1;
    const runEval = this.o.eval !== undefined && ((epoch + 1) % every === 0 || epoch + 1 === this.o.epochs);
    const evalMetrics = runEval ? await this.evaluate(this.o.eval, epoch) : undefined;
    // Best by eval top-1 (higher is better) when evaluating, else by training loss (lower is better).
    const metric = evalMetrics !== undefined ? 'eval.top1' : 'trainLoss';
    const value = evalMetrics !== undefined ? evalMetrics.top1 : trainLoss;
    const prev = this.state.best;
    const better =
      evalMetrics !== undefined || this.o.eval === undefined
        ? prev === null || prev.metric !== metric || (metric === 'eval.top1' ? value > prev.value : value < prev.value)
        : false;
    this.state.epoch = epoch + 1;
    this.state.batchInEpoch = 0;
    this.state.epochLoss = { sum: 0, count: 0, parts: {} };
    if (better) this.state.best = { metric, value, epoch };
    const record: EpochRecord = { type: 'epoch', epoch, update: this.state.update, trainLoss, lr, seconds, best: better };
    if (Object.keys(trainLossParts).length > 0) record.trainLossParts = trainLossParts;
    if (evalMetrics !== undefined) record.eval = evalMetrics;
    if (this.o.runDir !== undefined) {
      writeSafetensors(this.file('model')!, this.o.student.stateDict(), { format: 'pt' });
      if (this.ema !== undefined) writeSafetensors(this.file('modelEma')!, this.ema.stateDict(), { format: 'pt' });
      this.saveLast();
      if (better) this.save(this.file('best')!);
      appendJsonLine(this.file('metrics')!, record);
    }
    this.progress?.epochEnd({
      epoch,
      trainLoss,
      best: better,
      ...(evalMetrics ? { eval: { top1: evalMetrics.top1, top5: evalMetrics.top5, loss: evalMetrics.loss } } : {}),
    });
    return record;
  }

  private save(file: string): void {
    this.state.rng = this.rng.state();
    saveCheckpoint(file, { student: this.o.student, optimizer: this.optimizer, ema: this.ema }, this.state);
  }

  private saveLast(): void {
    const file = this.file('last');
    if (file !== undefined) this.save(file);
  }

  /** Frees the optimiser state and the EMA copies (the student stays). */
  dispose(): void {
    this.optimizer.dispose();
    this.ema?.dispose();
  }
}
