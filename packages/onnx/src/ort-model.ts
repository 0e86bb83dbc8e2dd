import { type ApplyOptions, type Classifier, DeitError, type DistilledLogits, tf } from '@deitjs/core';
import { LOGITS, LOGITS_CLS, LOGITS_DIST } from './export-deit.js';
import { classesOf, imagesToPixels } from './ort-teacher.js';
import { type OrtOutputs, OrtWorkerSession, type OrtWorkerSessionOptions } from './ort-worker-session.js';

/**
 * An exported model as core's {@link Classifier}, run by ONNX Runtime in a worker thread: `apply` takes NHWC images
 * (normalised as the model expects) like a deitjs model and returns its eval-mode logits, or `{cls, dist}` of a
 * distilled DeiT with `returnBoth`. It has no trainable variables and refuses training mode, so it slots into
 * evaluation (`evaluate`, prediction) but not into a training loop.
 */
export class OrtModel implements Classifier {
  readonly numClasses: number;
  readonly distilled: boolean;

  private constructor(
    /** The worker session (its input shape and outputs). */
    readonly session: OrtWorkerSession,
  ) {
    this.numClasses = classesOf(session, LOGITS);
    const names = session.outputs.map((o) => o.name);
    this.distilled = names.includes(LOGITS_CLS) && names.includes(LOGITS_DIST);
  }

  /** Starts a worker with an ONNX Runtime session on an `.onnx` file path or bytes. */
  static async create(model: string | Uint8Array, options: OrtWorkerSessionOptions = {}): Promise<OrtModel> {
    const session = await OrtWorkerSession.create(model, options);
    try {
      return new OrtModel(session);
    } catch (err) {
      await session.dispose();
      throw err;
    }
  }

  /** None: an exported model is frozen. */
  trainableVariables(): Map<string, tf.Variable> {
    return new Map();
  }

  /** The forward pass (eval mode only), synchronous: blocks until ONNX Runtime has the logits. */
  apply(images: tf.Tensor4D, options: ApplyOptions): tf.Tensor2D | DistilledLogits {
    if (options.training) throw new DeitError('E_ORT', 'an ONNX Runtime model runs in eval mode only (training: true was asked)');
    const { pixels, dims } = imagesToPixels(images);
    return this.result(this.session.runSync(pixels, dims), options.returnBoth === true);
  }

  /** Eval-mode logits `[batch, classes]` (the mean of both heads for a distilled model). */
  predict(images: tf.Tensor4D): tf.Tensor2D {
    return this.apply(images, { training: false }) as tf.Tensor2D;
  }

  /** `apply` without blocking the calling thread. */
  async applyAsync(images: tf.Tensor4D, options: { returnBoth?: boolean } = {}): Promise<tf.Tensor2D | DistilledLogits> {
    const { pixels, dims } = imagesToPixels(images);
    return this.result(await this.session.run(pixels, dims), options.returnBoth === true);
  }

  /** Stops the worker and frees its session. */
  dispose(): Promise<void> {
    return this.session.dispose();
  }

  private result(outputs: OrtOutputs, both: boolean): tf.Tensor2D | DistilledLogits {
    const t = (name: string) => tf.tensor2d(outputs[name]!.data, outputs[name]!.dims as [number, number]);
    if (both && this.distilled) return { cls: t(LOGITS_CLS), dist: t(LOGITS_DIST) };
    return t(LOGITS);
  }
}
