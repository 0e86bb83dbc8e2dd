import { type Batch, type BatchSource, ConfigError, Rng, type tf } from '@deitjs/core';
import { GradientAccumulator, addInto, scaled } from './accumulation.js';
import { AdamW } from './adamw.js';
import { batchGradients } from './batch-gradients.js';
import { bestAfterEpoch } from './best-metric.js';
import type { CheckpointParts, TrainingState } from './checkpoint.js';
import { clipGradNorm } from './clip-grad.js';
import { type EvalMetrics, evaluate } from './evaluate.js';
import type { GradientResult } from './loss-gradients.js';
import type { LrSchedule } from './lr-schedule.js';
import { ModelEma } from './model-ema.js';
import { paramGroups } from './param-groups.js';
import { Progress } from './progress.js';
import type { RunDirectory } from './run-directory.js';
import { StopControl } from './stopping.js';
import type { EpochRecord, StepInfo } from './trainer-hooks.js';
import { teacherFingerprint } from './teacher-identity.js';
import { openRunDirectory, trainerFiles } from './trainer-files.js';
import { type TrainerOptions, lrScheduleOf, recordedConfig, resolveOptions } from './trainer-options.js';
import { warmupWarning } from './warmup-warning.js';

/** What {@link Trainer.run} returns. */
export interface RunResult {
  /** Epochs fully completed (over the whole run, resumed part included). */
  epochsCompleted: number;
  /** Whether the run stopped early (stop() or SIGINT). */
  stopped: boolean;
  /** The last evaluation, if any. */
  lastEval?: EvalMetrics;
  /** The best evaluation so far; `best.epoch` is 0-based, the number the progress display prints (`epoch 0 (1/N)`). */
  best: TrainingState['best'];
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
  private readonly runDir: RunDirectory;
  private readonly stopControl = new StopControl();
  private readonly teacherFingerprint: string | undefined;
  private rng: Rng;
  private state: TrainingState;

  constructor(options: TrainerOptions) {
    this.o = options;
    const settings = resolveOptions(options);
    this.accumulation = settings.accumulation;
    this.peakLr = settings.peakLr;
    this.variables = options.student.trainableVariables();
    const groups = paramGroups(this.variables, { weightDecay: options.weightDecay ?? 0.05, ...(options.noDecay ? { skip: options.noDecay } : {}) });
    this.optimizer = new AdamW(this.variables, groups, { ...(options.betas ? { betas: options.betas } : {}), ...(options.eps !== undefined ? { eps: options.eps } : {}) });
    this.schedule = lrScheduleOf(options, settings);
    this.ema = options.emaDecay === undefined ? undefined : new ModelEma(options.student.namedParams(), options.emaDecay);
    this.progress = options.progress === false ? undefined : new Progress(options.progress ?? {});
    this.runDir = openRunDirectory(options.runDir);
    this.rng = new Rng(options.seed ?? 0);
    // Hashing the teacher's weights costs a pass over them: once per trainer.
    this.teacherFingerprint = options.teacherCache === undefined ? teacherFingerprint(options.teacher) : undefined;
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
    return recordedConfig(this.o, { accumulation: this.accumulation, peakLr: this.peakLr }, this.schedule, this.teacherFingerprint);
  }

  /** Sends a warning to the `onWarning` hook, else the progress display, else `console.warn`. */
  private warn(message: string): void {
    if (this.o.hooks?.onWarning !== undefined) this.o.hooks.onWarning(message);
    else if (this.progress !== undefined) this.progress.note(`warning: ${message}`);
    else console.warn(`@deitjs/trainer: warning: ${message}`);
  }

  /** Asks a running `run()` to stop at the next optimiser-update boundary; it then saves `checkpoint-last` and returns. */
  stop(): void {
    this.stopControl.request();
  }

  /** Where the run stands (a copy). */
  trainingState(): TrainingState {
    return structuredClone({ ...this.state, rng: this.rng.state() });
  }

  /** Trains to the last epoch (or until stopped), evaluating, logging and checkpointing along the way. */
  async run(): Promise<RunResult> {
    this.runDir.create();
    this.stopControl.reset();
    const warmup = warmupWarning(this.schedule);
    if (warmup !== undefined) this.warn(warmup);
    // The file side is looked up only when asked to resume: a browser bundle has none.
    const files = this.o.resume === undefined || this.o.resume === false ? undefined : trainerFiles('resume');
    const resume = files?.resumeCheckpoint(this.o.resume, this.runDir);
    if (files !== undefined && resume !== undefined) {
      const resumed = files.resumeRun(resume, this.checkpointParts(), this.recordedConfig(), this.runDir);
      ({ state: this.state, rng: this.rng } = resumed);
      this.progress?.note(`resumed from ${resume} at epoch ${this.state.epoch}, batch ${this.state.batchInEpoch}`);
      for (const n of resumed.notes) this.progress?.note(n);
      for (const w of resumed.warnings) this.warn(w);
    }
    const unlisten = this.o.handleSignals
      ? this.stopControl.listenForSigint(() => this.progress?.note('interrupt: stopping after the current update and saving checkpoint-last'))
      : undefined;
    let lastEval: EvalMetrics | undefined;
    let stopped = false;
    try {
      while (this.state.epoch < this.o.epochs) {
        const record = await this.trainEpoch();
        if (record === undefined) {
          // Stopped mid-epoch: the epoch end did not save this position.
          this.runDir.saveLast(this.checkpointParts(), this.checkpointState());
          stopped = true;
          break;
        }
        if (record.eval !== undefined) lastEval = record.eval;
        await this.o.hooks?.onEpochEnd?.(record);
        if (this.stopControl.isRequested && this.state.epoch < this.o.epochs) {
          stopped = true;
          break;
        }
      }
      this.progress?.end({ epochs: this.state.epoch, stopped, best: this.state.best });
      return { epochsCompleted: this.state.epoch, stopped, ...(lastEval ? { lastEval } : {}), best: this.state.best };
    } finally {
      unlisten?.();
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
    const acc = new GradientAccumulator();
    let lr = this.schedule.lrAt(epoch, this.state.update);
    const iterator = this.o.train.epoch(epoch)[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        const batch = next.value;
        if (index < skip) {
          // A resumed epoch draws the same batches (sources are deterministic per epoch) and passes over those already trained.
          disposeBatch(batch);
          index += 1;
          continue;
        }
        const images = batch.images.shape[0];
        let r: GradientResult;
        try {
          r = await batchGradients(this.o, this.variables, batch, this.rng, { epoch, index });
        } finally {
          disposeBatch(batch);
        }
        acc.add(r, images);
        addInto(this.state.epochLoss.parts, r.parts);
        index += 1;
        this.state.epochLoss.sum += r.loss;
        this.state.epochLoss.count += 1;
        if (acc.size === this.accumulation || index === batchesPerEpoch) {
          lr = await this.update(acc, epoch, index, batchesPerEpoch);
          // Let the event loop turn once per update: TF.js work and inline data loading only await microtasks, so without
          // this a Ctrl-C (SIGINT handler), timers and pipe I/O would wait until the run ends.
          await new Promise<void>((resolve) => setImmediate(resolve));
          if (this.stopControl.isRequested && index < batchesPerEpoch) return undefined;
        }
      }
      // The source yielded fewer batches than announced: still apply what was accumulated.
      if (acc.size > 0) lr = await this.update(acc, epoch, index, batchesPerEpoch);
    } finally {
      acc.dispose();
      await iterator.return?.();
    }
    return this.finishEpoch(epoch, lr, (performance.now() - started) / 1000);
  }

  /** Applies the accumulated micro-batches as one update (averaged, clipped), then EMA, checkpoint and hooks; returns the LR used. */
  private async update(acc: GradientAccumulator, epoch: number, batch: number, batchesPerEpoch: number): Promise<number> {
    const { grads: mean, loss, parts, images } = acc.take();
    let grads = mean;
    let gradNorm: number | undefined;
    try {
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
      if (every !== undefined && this.state.update % every === 0 && batch < batchesPerEpoch) {
        this.runDir.saveLast(this.checkpointParts(), this.checkpointState());
      }
      const info: StepInfo = { epoch, batch, batchesPerEpoch, update: this.state.update, loss, lr, images };
      if (gradNorm !== undefined) info.gradNorm = gradNorm;
      if (Object.keys(parts).length > 0) info.parts = parts;
      this.progress?.step({ epoch, batch, loss, lr, images });
      await this.o.hooks?.onStep?.(info);
      return lr;
    } finally {
      for (const g of grads.values()) if (!g.isDisposed) g.dispose();
      if (grads !== mean) for (const g of mean.values()) if (!g.isDisposed) g.dispose();
    }
  }

  /** Closes an epoch: evaluation, best tracking, the run directory's epoch-end files and progress. */
  private async finishEpoch(epoch: number, lr: number, seconds: number): Promise<EpochRecord> {
    const { sum, count, parts } = this.state.epochLoss;
    const trainLoss = count === 0 ? Number.NaN : sum / count;
    const trainLossParts = scaled(parts, 1 / count);
    const every = this.o.evalEvery ?? 1;
    const runEval = this.o.eval !== undefined && ((epoch + 1) % every === 0 || epoch + 1 === this.o.epochs);
    const evalMetrics = runEval ? await this.evaluate(this.o.eval, epoch) : undefined;
    const { better, best } = bestAfterEpoch(this.state.best, epoch, trainLoss, evalMetrics, this.o.eval !== undefined);
    this.state.epoch = epoch + 1;
    this.state.batchInEpoch = 0;
    this.state.epochLoss = { sum: 0, count: 0, parts: {} };
    this.state.best = best;
    const record: EpochRecord = { type: 'epoch', epoch, update: this.state.update, trainLoss, lr, seconds, best: better };
    if (Object.keys(trainLossParts).length > 0) record.trainLossParts = trainLossParts;
    if (evalMetrics !== undefined) record.eval = evalMetrics;
    this.runDir.writeEpochEnd(this.checkpointParts(), this.checkpointState(), record);
    this.progress?.epochEnd({
      epoch,
      trainLoss,
      best: better,
      ...(evalMetrics ? { eval: { top1: evalMetrics.top1, top5: evalMetrics.top5, loss: evalMetrics.loss } } : {}),
    });
    return record;
  }

  private checkpointParts(): CheckpointParts {
    return { student: this.o.student, optimizer: this.optimizer, ema: this.ema };
  }

  /** The state to checkpoint: the live one, with the generator's current position. */
  private checkpointState(): TrainingState {
    this.state.rng = this.rng.state();
    return this.state;
  }

  /** Frees the optimiser state and the EMA copies (the student stays). */
  dispose(): void {
    this.optimizer.dispose();
    this.ema?.dispose();
  }
}

function disposeBatch(batch: Batch): void {
  batch.images.dispose();
  batch.targets.dispose();
}
