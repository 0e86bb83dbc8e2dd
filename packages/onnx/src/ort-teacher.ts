import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, IMAGENET_NORMALIZATION, type Normalization, ShapeError, nhwcToNchw, tf } from '@deitjs/core';
import { type FingerprintedTeacher, normalizationSalt, renormalize } from '@deitjs/teachers';
import { LOGITS } from './export-deit.js';
import { onnxModelPath } from './model-path.js';
import { type OrtOutputs, OrtWorkerSession, type OrtWorkerSessionOptions } from './ort-worker-session.js';

/** Options of {@link OrtTeacher.create}. */
export interface OrtTeacherOptions extends OrtWorkerSessionOptions {
  /** A short name for logs (default `onnx`). */
  name?: string;
  /** Normalisation of the images `predict` receives (the student's; default ImageNet). */
  inputNormalization?: Normalization;
  /** Normalisation the exported model expects (default ImageNet, as the timm teachers). */
  normalization?: Normalization;
  /** What {@link OrtTeacher.fingerprint} returns (default: SHA-256 of the model's bytes and the input mapping). */
  fingerprint?: string;
}

/** NHWC float32 images → NCHW pixels and their dims (what an exported model's `pixel_values` takes). */
export function imagesToPixels(images: tf.Tensor4D): { pixels: Float32Array; dims: [number, number, number, number] } {
  if (images.rank !== 4) throw new ShapeError('images', `expected NHWC [batch, H, W, C], got [${images.shape.join(',')}]`);
  const [n, h, w, c] = images.shape;
  return { pixels: nhwcToNchw(images.dataSync() as Float32Array, images.shape).data, dims: [n, c, h, w] };
}

/** The fixed class count of an output `[batch, classes]`, or a ConfigError naming the model's outputs. */
export function classesOf(session: OrtWorkerSession, output: string): number {
  const shape = session.outputs.find((o) => o.name === output)?.shape;
  const classes = shape?.[1];
  if (typeof classes !== 'number' || !(classes > 0)) {
    throw new ConfigError('model', `the ONNX model has no output ${output} [batch, classes] with a fixed class count (outputs: ${session.outputs.map((o) => o.name).join(', ')})`);
  }
  return classes;
}

/**
 * A frozen teacher run by ONNX Runtime in a worker thread: core's synchronous `Teacher` (`predict` blocks until
 * the worker replies) plus {@link OrtTeacher.predictAsync}, which leaves the calling thread free (e.g. for the
 * student's step). It takes the student's NHWC batch, re-normalises it when the teacher expects other statistics (as
 * `ConvNetTeacher` does) and returns the model's `logits` `[batch, classes]`, owned by the caller.
 */
export class OrtTeacher implements FingerprintedTeacher {
  readonly name: string;
  readonly numClasses: number;
  readonly inputNormalization: Normalization;
  readonly normalization: Normalization;

  private fingerprintValue: string | undefined;

  private constructor(
    /** The worker session (its input shape and outputs). */
    readonly session: OrtWorkerSession,
    options: OrtTeacherOptions,
    private readonly model: string | Uint8Array,
  ) {
    this.name = options.name ?? 'onnx';
    this.fingerprintValue = options.fingerprint;
    this.numClasses = classesOf(session, LOGITS);
    this.inputNormalization = options.inputNormalization ?? IMAGENET_NORMALIZATION;
    this.normalization = options.normalization ?? IMAGENET_NORMALIZATION;
  }

  /** Starts a worker with an ONNX Runtime session on an `.onnx` file (or exported folder) or bytes (output `logits`). */
  static async create(model: string | Uint8Array, options: OrtTeacherOptions = {}): Promise<OrtTeacher> {
    const resolved = typeof model === 'string' ? onnxModelPath(model) : model;
    const session = await OrtWorkerSession.create(resolved, options);
    try {
      return new OrtTeacher(session, options, resolved);
    } catch (err) {
      await session.dispose();
      throw err;
    }
  }

  /**
   * SHA-256 naming the outputs this teacher gives (for the teacher-output cache): the `fingerprint` option, else a
   * hash of the model's bytes and the input mapping.
   */
  fingerprint(): string {
    if (this.fingerprintValue === undefined) {
      const h = createHash('sha256').update(`${normalizationSalt(this.inputNormalization, this.normalization)}\n`);
      h.update(typeof this.model === 'string' ? readFileSync(this.model) : this.model);
      this.fingerprintValue = h.digest('hex');
    }
    return this.fingerprintValue;
  }

  /** Teacher logits for a batch of the student's NHWC images; blocks until ONNX Runtime has them. */
  predict(images: tf.Tensor4D): tf.Tensor2D {
    const { pixels, dims } = this.pixels(images);
    return this.logits(this.session.runSync(pixels, dims));
  }

  /** The same logits without blocking: the caller can compute while the teacher's batch runs. */
  async predictAsync(images: tf.Tensor4D): Promise<tf.Tensor2D> {
    const { pixels, dims } = this.pixels(images);
    return this.logits(await this.session.run(pixels, dims));
  }

  /** Stops the worker and frees its session. */
  dispose(): Promise<void> {
    return this.session.dispose();
  }

  private pixels(images: tf.Tensor4D): ReturnType<typeof imagesToPixels> {
    if (images.rank !== 4 || images.shape[3] !== 3) throw new ShapeError('images', `expected NHWC [batch, H, W, 3], got [${images.shape.join(',')}]`);
    const x = renormalize(images, this.inputNormalization, this.normalization);
    try {
      return imagesToPixels(x);
    } finally {
      if (x !== images) x.dispose();
    }
  }

  private logits(outputs: OrtOutputs): tf.Tensor2D {
    const { data, dims } = outputs[LOGITS]!;
    return tf.tensor2d(data, [dims[0]!, dims[1]!]);
  }
}
