import { ConfigError, type Rng, ShapeError, type Teacher, tf } from '@deitjs/core';
import type { DeiTConfig } from '@deitjs/models';
import { type OrtLoadOptions, type OrtModuleLike, type OrtSessionLike, type OrtTensorLike, loadOrt, spinningOptions } from './ort-loader.js';
import { modelBytes } from './serialize.js';
import {
  TRAIN_DROP_PATH,
  TRAIN_IMAGES,
  TRAIN_LOSS,
  TRAIN_LOSS_BASE,
  TRAIN_LOSS_DISTILL,
  TRAIN_TARGETS,
  TRAIN_TEACHER,
  type TrainingGraph,
  deitTrainingGraph,
  gradName,
} from './train-graph.js';
import { type TrainingLossSpec, targetMatrix } from './train-graph-loss.js';
import { intraOpThreads } from './threads.js';

/** Options of {@link OrtTrainingEngine.create}. */
export interface OrtTrainingEngineOptions {
  /** Threads of ONNX Runtime's intra-op pool (default 0: one per physical core, counted by `physicalCores`). */
  intraOpThreads?: number;
  /** Whether the intra-op threads spin after a run (ONNX Runtime's default: yes); see `OrtWorkerSessionOptions`. */
  allowSpinning?: boolean;
  /** Where onnxruntime comes from (default: `import('onnxruntime-node')`). */
  loader?: OrtLoadOptions;
}

/** A DeiT as the engine needs it: its architecture and its trainable variables by PyTorch name. */
export interface TrainableDeiT {
  /** The architecture (a `DeiT`'s `config`). */
  readonly config: Readonly<DeiTConfig>;
  /** Trainable variables by PyTorch name (TF.js layouts). */
  trainableVariables(): Map<string, tf.Variable>;
}

/** What a gradient computation is given (the trainer's `GradientModel`, structurally). */
export interface EngineModel {
  /** The trainable variables by PyTorch name. */
  variables: Map<string, tf.Variable>;
  /** A live teacher, for batches that come without teacher logits. */
  teacher?: Teacher;
}

/** The loss and gradients of one batch (the trainer's `GradientResult`, structurally). */
export interface EngineResult {
  /** Gradient per trainable variable, by PyTorch name, in the variable's shape (the caller disposes them). */
  grads: Map<string, tf.Tensor>;
  /** The total loss. */
  loss: number;
  /** `base` and `distill` for soft and hard distillation (as @deitjs/losses' distillationLoss reports them). */
  parts: Record<string, number>;
}

/**
 * The training step of a DeiT on ONNX Runtime: one session runs forward, loss and backward
 * ({@link deitTrainingGraph}); the parameters are fed as inputs on every step, so the optimiser, clipping, EMA and
 * checkpoints stay in the trainer. Drop-path masks are drawn from the caller's `rng` exactly as the TF.js model
 * draws them (per block with a rate above 0: the attention branch's B draws, then the MLP branch's), so a step is
 * the TF.js step up to float rounding. Implements the trainer's gradient-engine contract (`engine` option).
 */
export class OrtTrainingEngine {
  /** The engine's name (for logs and checkpoints). */
  readonly name = 'onnx';

  private constructor(
    private readonly ort: OrtModuleLike,
    private readonly session: OrtSessionLike,
    /** The training graph the session runs (its parameters, inputs and loss). */
    readonly graph: TrainingGraph,
    /** Threads of the session's intra-op pool (the option, or one per physical core). */
    readonly intraOpThreads: number,
  ) {}

  /** Builds the training graph of `model` with `loss` and opens an ONNX Runtime session on it. */
  static async create(model: TrainableDeiT, loss: TrainingLossSpec, options: OrtTrainingEngineOptions = {}): Promise<OrtTrainingEngine> {
    const intra = intraOpThreads(options.intraOpThreads);
    const graph = deitTrainingGraph(model.config, loss);
    const variables = model.trainableVariables();
    const expected = new Set(graph.params.map((p) => p.name));
    for (const name of variables.keys()) if (!expected.has(name)) throw new ConfigError('model', `the training graph has no parameter ${name}`);
    for (const p of graph.params) {
      const v = variables.get(p.name);
      if (v === undefined) throw new ConfigError('model', `the model has no trainable ${p.name}`);
      if (v.shape.join(',') !== p.shape.join(',')) throw new ShapeError(p.name, `expected [${p.shape.join(', ')}], the model has [${v.shape.join(', ')}]`);
    }
    const ort = await loadOrt(options.loader);
    const session = await ort.InferenceSession.create(modelBytes(graph), {
      intraOpNumThreads: intra,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionProviders: ['cpu'],
      ...spinningOptions(options.allowSpinning),
    });
    return new OrtTrainingEngine(ort, session, graph, intra);
  }

  /** Drop-path factors `[2·depth, batch]` drawn from `rng` in the TF.js model's order (1 where a block's rate is 0). */
  dropPathFactors(batch: number, rng: Rng): Float32Array {
    const rates = this.graph.dropPathRates;
    const out = new Float32Array(2 * rates.length * batch).fill(1);
    rates.forEach((rate, i) => {
      if (rate === 0) return;
      const keep = 1 - rate;
      for (let branch = 0; branch < 2; branch++) {
        const row = (2 * i + branch) * batch;
        for (let b = 0; b < batch; b++) out[row + b] = rng.random() < keep ? 1 / keep : 0;
      }
    });
    return out;
  }

  /** Loss, parts and every parameter's gradient for one batch (NHWC images; int labels or per-class targets). */
  async lossAndGradients(model: EngineModel, images: tf.Tensor4D, targets: tf.Tensor1D | tf.Tensor2D, teacherLogits: tf.Tensor2D | undefined, rng: Rng): Promise<EngineResult> {
    const g = this.graph;
    const [batch, ...pixel] = images.shape;
    const classes = g.params.find((p) => p.name === 'head.bias')!.shape[0]!;
    const t = (data: Float32Array, dims: readonly number[]): OrtTensorLike => new this.ort.Tensor('float32', data, dims);
    const feeds: Record<string, OrtTensorLike> = {};
    for (const p of g.params) {
      const v = model.variables.get(p.name);
      if (v === undefined) throw new ConfigError('model', `no variable ${p.name}`);
      feeds[p.name] = t(v.dataSync() as Float32Array, p.shape);
    }
    feeds[TRAIN_IMAGES] = t(images.dataSync() as Float32Array, [batch, ...pixel]);
    if (targets.shape[0] !== batch) throw new ShapeError('targets', `${targets.shape[0]} targets for ${batch} images`);
    const isLabels = targets.rank === 1;
    if (!isLabels && targets.shape[1] !== classes) throw new ShapeError('targets', `expected [${batch}, ${classes}], got [${targets.shape.join(', ')}]`);
    feeds[TRAIN_TARGETS] = t(targetMatrix(g.loss, targets.dataSync() as Int32Array | Float32Array, batch, classes, isLabels), [batch, classes]);
    if (g.teacher) {
      const own = teacherLogits === undefined && model.teacher !== undefined ? tf.tidy(() => model.teacher!.predict(images)) : undefined;
      const teacher = teacherLogits ?? own;
      if (teacher === undefined) throw new ShapeError('teacherLogits', `required for distillation type "${g.loss.type}"`);
      const data = teacher.dataSync() as Float32Array;
      own?.dispose();
      if (data.length !== batch * classes) throw new ShapeError('teacherLogits', `expected [${batch}, ${classes}], got [${teacher.shape.join(', ')}]`);
      feeds[TRAIN_TEACHER] = t(data, [batch, classes]);
    }
    if (g.dropPath) feeds[TRAIN_DROP_PATH] = t(this.dropPathFactors(batch, rng), [2 * g.dropPathRates.length, batch]);
    const out = await this.session.run(feeds);
    const scalar = (name: string) => (out[name]!.data as Float32Array)[0]!;
    const grads = new Map<string, tf.Tensor>();
    for (const p of g.gradParams) grads.set(p.name, tf.tensor(out[gradName(p.name)]!.data as Float32Array, p.shape));
    const parts: Record<string, number> = g.teacher ? { base: scalar(TRAIN_LOSS_BASE), distill: scalar(TRAIN_LOSS_DISTILL) } : {};
    return { grads, loss: scalar(TRAIN_LOSS), parts };
  }

  /** Frees the native session. */
  async dispose(): Promise<void> {
    await this.session.release();
  }
}
