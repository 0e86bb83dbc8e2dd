import { type DistilledLogits, Rng, type StateDict, tf } from '@deitjs/core';
import { baseCriterion, distillationLoss } from '@deitjs/losses';
import { DeiT, modelConfig } from '@deitjs/models';
import { createConvNet } from '@deitjs/teachers';
import { AdamW, cosineLr, lossAndGradients, paramGroups } from '@deitjs/trainer';
import { type DigitSet, shiftedDigit } from './digits.js';
import { type ModelBundle, argmax } from './model-bundle.js';
import { modelInput } from './preprocess.js';
import type { WebRunConfig } from './run-config.js';

/** Settings of the live job: the main job's recipe at a budget a browser tab can afford. */
export interface DistillSettings {
  /** Student epochs over the training digits. */
  epochs: number;
  /** Teacher epochs when a teacher is trained here first (0: use the committed teacher). */
  teacherEpochs: number;
  /** Images per step (the main job's 32). */
  batchSize: number;
  /** Seed of the initialisation (both students share it), the batches and the shifts. */
  seed: number;
  /** Evaluate every this many steps. */
  evalEvery: number;
  /** Hard or soft distillation (α 0.5). */
  distillationType: 'hard' | 'soft';
  /** Peak learning rate of the students (the main job's 1e-3; a short live run learns visibly faster with more). */
  lr: number;
  /** Warmup in epochs. */
  warmupEpochs: number;
}

/** The main job's recipe (deit-train's MAIN_JOB_RECIPE) where it applies. */
export const LIVE_RECIPE = {
  student: { lr: 1e-3, weightDecay: 0.05, minLr: 1e-5, warmupLr: 1e-6, dropPath: 0.1, smoothing: 0.1, shift: 2 },
  teacher: { model: 'resnet_mnist', lr: 2e-3 },
} as const;

/** Default settings of the page. */
export const DEFAULT_SETTINGS: DistillSettings = { epochs: 10, teacherEpochs: 0, batchSize: 32, seed: 0, evalEvery: 8, distillationType: 'hard', lr: 1e-3, warmupEpochs: 0.5 };

/** One model's part of a training step. */
export interface StepLosses {
  loss: number;
  base: number;
  distill?: number;
}

/** One reported step. */
export interface StepReport {
  phase: 'teacher' | 'students';
  step: number;
  totalSteps: number;
  epoch: number;
  lr: number;
  /** The distilled student (or the teacher in the teacher phase). */
  distilled: StepLosses;
  /** The non-distilled twin (students phase). */
  baseline?: StepLosses;
}

/** Test accuracies (%) at one step. */
export interface EvalReport {
  phase: 'teacher' | 'students';
  step: number;
  teacher: number;
  distilled?: { mean: number; cls: number; dist: number; agreement: number; loss: number };
  baseline?: { mean: number; cls: number; loss: number };
  /** The teacher's test loss (cross-entropy of its logits). */
  teacherLoss: number;
}

interface Trained {
  model: DeiT | ReturnType<typeof createConvNet>;
  variables: Map<string, tf.Variable>;
  optimizer: AdamW;
}

function trained(model: DeiT | ReturnType<typeof createConvNet>, weightDecay: number): Trained {
  const variables = model.trainableVariables();
  return { model, variables, optimizer: new AdamW(variables, paramGroups(variables, { weightDecay })) };
}

/**
 * The MNIST main job in miniature, one step at a time (the caller decides when to step, pause or stop): optionally a
 * CNN teacher trained first, then a distilled DeiT student and its non-distilled twin (same initialisation, same
 * batches) trained side by side with the main job's recipe (AdamW, cosine schedule with warmup, label smoothing,
 * hard distillation α 0.5, ±2 px shifts).
 */
export class DistillJob {
  /** The teacher the students learn from. */
  teacher: ModelBundle;
  private readonly studentRun: WebRunConfig;
  private readonly channels: number;
  private readonly rng: Rng;
  private readonly stepsPerEpoch: number;
  private teacherJob: Trained | undefined;
  private distilled: Trained | undefined;
  private baseline: Trained | undefined;
  private order: Int32Array = new Int32Array(0);
  /** Steps done in the current phase. */
  step = 0;
  /** The current phase. */
  phase: 'teacher' | 'students';

  constructor(
    teacher: ModelBundle,
    studentRun: WebRunConfig,
    channels: number,
    private readonly train: DigitSet,
    private readonly test: DigitSet,
    readonly settings: DistillSettings,
  ) {
    this.teacher = teacher;
    this.studentRun = studentRun;
    this.channels = channels;
    this.rng = new Rng(settings.seed);
    this.stepsPerEpoch = Math.floor(train.count / settings.batchSize);
    this.phase = settings.teacherEpochs > 0 ? 'teacher' : 'students';
    if (this.phase === 'teacher') {
      const cnn = createConvNet(LIVE_RECIPE.teacher.model, { numClasses: 10, inChannels: teacher.channels, seed: settings.seed });
      this.teacherJob = trained(cnn, LIVE_RECIPE.student.weightDecay);
    } else {
      this.startStudents();
    }
  }

  private startStudents(): void {
    const cfg = { ...modelConfig(this.studentRun.model, { numClasses: 10, dropPathRate: LIVE_RECIPE.student.dropPath }), inChans: this.channels };
    // The same seed twice: the twin starts from the very same weights.
    this.distilled = trained(new DeiT(cfg, new Rng(this.settings.seed)), LIVE_RECIPE.student.weightDecay);
    this.baseline = trained(new DeiT(cfg, new Rng(this.settings.seed)), LIVE_RECIPE.student.weightDecay);
    this.phase = 'students';
    this.step = 0;
  }

  /** Steps of the current phase. */
  get totalSteps(): number {
    return this.stepsPerEpoch * (this.phase === 'teacher' ? this.settings.teacherEpochs : this.settings.epochs);
  }

  /** Whether every phase has run all its steps. */
  get done(): boolean {
    return this.phase === 'students' && this.step >= this.totalSteps;
  }

  private lr(peak: number): number {
    const epochs = this.phase === 'teacher' ? this.settings.teacherEpochs : this.settings.epochs;
    // deit-train steps the schedule per epoch; here per step, in epoch units, for a smooth curve at a tiny budget.
    return cosineLr(this.step / this.stepsPerEpoch, {
      lr: peak,
      minLr: LIVE_RECIPE.student.minLr,
      warmupLr: LIVE_RECIPE.student.warmupLr,
      warmupT: this.settings.warmupEpochs,
      tInitial: epochs,
    });
  }

  private batch(run: WebRunConfig, channels: number, indices: number[], shifts: [number, number][]): tf.Tensor4D {
    const n = run.imgSize;
    const data = new Float32Array(indices.length * n * n * channels);
    indices.forEach((idx, b) => {
      data.set(modelInput(shiftedDigit(this.train, idx, ...shifts[b]!), run, channels), b * n * n * channels);
    });
    return tf.tensor4d(data, [indices.length, n, n, channels]);
  }

  /** One optimiser step of the current phase (of both students in the students phase). */
  async runStep(): Promise<StepReport> {
    if (this.done) throw new Error('the job has finished');
    const bs = this.settings.batchSize;
    const within = this.step % this.stepsPerEpoch;
    if (within === 0) this.order = this.rng.permutation(this.train.count);
    const indices = Array.from(this.order.subarray(within * bs, (within + 1) * bs));
    const s = LIVE_RECIPE.student.shift;
    const shifts = indices.map((): [number, number] => [this.rng.int(-s, s + 1), this.rng.int(-s, s + 1)]);
    const targets = tf.tensor1d(indices.map((i) => this.train.labels[i]!), 'int32');
    const base = baseCriterion({ mixup: false, smoothing: LIVE_RECIPE.student.smoothing });
    const epoch = Math.floor(this.step / this.stepsPerEpoch);
    const report: StepReport = { phase: this.phase, step: this.step + 1, totalSteps: this.totalSteps, epoch: epoch + 1, lr: 0, distilled: { loss: 0, base: 0 } };
    try {
      if (this.phase === 'teacher') {
        const job = this.teacherJob!;
        const images = this.batch(this.teacher.run, this.teacher.channels, indices, shifts);
        report.lr = this.lr(LIVE_RECIPE.teacher.lr);
        const g = await lossAndGradients({ student: job.model, loss: (out, y) => base(out as tf.Tensor2D, y), variables: job.variables }, images, targets, undefined, this.rng);
        images.dispose();
        job.optimizer.step(g.grads, report.lr);
        tf.dispose([...g.grads.values()]);
        report.distilled = { loss: g.loss, base: g.loss };
      } else {
        const images = this.batch(this.studentRun, this.channels, indices, shifts);
        const tImages = this.batch(this.teacher.run, this.teacher.channels, indices, shifts);
        const teacherLogits = tf.tidy(() => this.teacher.model.apply(tImages, { training: false }) as tf.Tensor2D);
        tImages.dispose();
        report.lr = this.lr(this.settings.lr);
        const kd = distillationLoss({ base, type: this.settings.distillationType, alpha: 0.5 });
        const none = distillationLoss({ base, type: 'none' });
        // The twin draws the same drop-path masks: a generator in the same state for each.
        const state = this.rng.fork().state();
        const d = await lossAndGradients({ student: this.distilled!.model, loss: kd, variables: this.distilled!.variables }, images, targets, teacherLogits, Rng.fromState(state));
        const b = await lossAndGradients({ student: this.baseline!.model, loss: none, variables: this.baseline!.variables }, images, targets, undefined, Rng.fromState(state));
        tf.dispose([images, teacherLogits]);
        this.distilled!.optimizer.step(d.grads, report.lr);
        this.baseline!.optimizer.step(b.grads, report.lr);
        tf.dispose([...d.grads.values(), ...b.grads.values()]);
        report.distilled = { loss: d.loss, base: d.parts.base ?? d.loss, distill: d.parts.distill };
        report.baseline = { loss: b.loss, base: b.loss };
      }
    } finally {
      targets.dispose();
    }
    this.step++;
    if (this.phase === 'teacher' && this.step >= this.totalSteps) this.finishTeacher();
    return report;
  }

  private finishTeacher(): void {
    const job = this.teacherJob!;
    job.optimizer.dispose();
    this.teacher = { source: 'trained in this tab', run: { ...this.teacher.run }, model: job.model as ModelBundle['model'], channels: this.teacher.channels };
    this.teacherJob = undefined;
    this.startStudents();
  }

  /** Test accuracies (%) of the teacher and both students on the test digits. */
  evaluate(): EvalReport {
    const count = this.test.count;
    const labels = this.test.labels;
    const y = tf.tensor1d(Array.from(labels), 'int32');
    const ce = (logits: tf.Tensor2D): number => tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(y, logits.shape[1]), tf.logSoftmax(logits)), 1))).dataSync()[0]!);
    const predict = (run: WebRunConfig, channels: number, model: ModelBundle['model']): { mean: Int32Array; cls: Int32Array; dist: Int32Array; loss: number } => {
      const n = run.imgSize;
      const data = new Float32Array(count * n * n * channels);
      for (let i = 0; i < count; i++) data.set(modelInput(shiftedDigit(this.test, i), run, channels), i * n * n * channels);
      return tf.tidy(() => {
        const out = model.apply(tf.tensor4d(data, [count, n, n, channels]), { training: false, returnBoth: true }) as tf.Tensor2D | DistilledLogits;
        const am = (t: tf.Tensor2D): Int32Array => tf.argMax(t, 1).dataSync() as Int32Array;
        if (!('cls' in out)) {
          const a = am(out);
          return { mean: a, cls: a, dist: a, loss: ce(out) };
        }
        const mean = tf.div(tf.add(out.cls, out.dist), 2) as tf.Tensor2D;
        return { mean: am(mean), cls: am(out.cls), dist: am(out.dist), loss: ce(mean) };
      });
    };
    const pct = (p: Int32Array, ref: ArrayLike<number> = labels): number => (100 * p.reduce((a, v, i) => a + (v === ref[i] ? 1 : 0), 0)) / count;
    const teacherModel = this.phase === 'teacher' ? this.teacherJob!.model : this.teacher.model;
    const t = predict(this.teacher.run, this.teacher.channels, teacherModel);
    const report: EvalReport = { phase: this.phase, step: this.step, teacher: pct(t.mean), teacherLoss: t.loss };
    if (this.phase === 'students') {
      const d = predict(this.studentRun, this.channels, this.distilled!.model);
      const b = predict(this.studentRun, this.channels, this.baseline!.model);
      report.distilled = { mean: pct(d.mean), cls: pct(d.cls), dist: pct(d.dist), agreement: pct(d.mean, t.mean), loss: d.loss };
      report.baseline = { mean: pct(b.mean), cls: pct(b.cls), loss: b.loss };
    }
    y.dispose();
    return report;
  }

  /** The distilled student's weights (PyTorch names and layouts), or the twin's. */
  stateDict(which: 'distilled' | 'baseline'): StateDict {
    const job = which === 'distilled' ? this.distilled : this.baseline;
    if (job === undefined) throw new Error('the students have not started yet');
    return job.model.stateDict();
  }

  /** Frees every model and optimiser state of the job (the committed teacher stays with its owner). */
  dispose(): void {
    for (const j of [this.teacherJob, this.distilled, this.baseline]) {
      j?.optimizer.dispose();
      j?.model.dispose();
    }
    if (this.settings.teacherEpochs > 0 && this.phase === 'students') this.teacher.model.dispose();
  }
}

/** Index of the argmax of each row (re-exported for the page). */
export { argmax };
