import { ConfigError, ShapeError, nhwcToNchw, tf } from '@deitjs/core';
import { INPUT_NAME, LOGITS, LOGITS_CLS, LOGITS_DIST } from './export-deit.js';
import { onnxModelPath } from './model-path.js';
import { type OrtLoadOptions, type OrtModuleLike, type OrtSessionLike, loadOrt } from './ort-loader.js';
import { intraOpThreads } from './threads.js';

/** Options of {@link OrtClassifier.create}. */
export interface OrtClassifierOptions {
  /** Threads of ONNX Runtime's intra-op pool (default 0: one per physical core, counted by `physicalCores`). */
  intraOpThreads?: number;
  /** Threads of the inter-op pool (default 1: the graphs run sequentially). */
  interOpThreads?: number;
  /** Where onnxruntime comes from (default: `import('onnxruntime-node')`). */
  loader?: OrtLoadOptions;
}

/** Logits of one batch, row-major `[batch, classes]`. */
export interface OrtLogits {
  /** Eval-mode logits (`logits`: the mean of both heads for a distilled model). */
  logits: Float32Array;
  /** The class-token head (`logits_cls`), distilled models only. */
  cls?: Float32Array;
  /** The distillation-token head (`logits_dist`), distilled models only. */
  dist?: Float32Array;
  /** Batch size. */
  batch: number;
  /** Number of classes. */
  numClasses: number;
}

function float32(value: { data: unknown; dims: readonly number[] }, name: string): Float32Array {
  if (!(value.data instanceof Float32Array)) throw new ShapeError(name, 'the model output is not float32');
  return value.data;
}

/**
 * An image classifier run by ONNX Runtime: an exported deitjs model (`pixel_values` NCHW float32 → `logits`, plus
 * `logits_cls`/`logits_dist` for a distilled DeiT) or any ONNX model with that interface.
 */
export class OrtClassifier {
  /** Whether the model has the two DeiT heads as outputs. */
  readonly distilled: boolean;
  /** The input's `[C, H, W]` when the model fixes them (undefined axes are symbolic). */
  readonly inputShape: ReadonlyArray<number | undefined>;

  private constructor(
    private readonly ort: OrtModuleLike,
    private readonly session: OrtSessionLike,
  ) {
    if (!session.inputNames.includes(INPUT_NAME)) {
      throw new ConfigError('model', `the ONNX model has no input ${INPUT_NAME} (inputs: ${session.inputNames.join(', ')})`);
    }
    if (!session.outputNames.includes(LOGITS)) throw new ConfigError('model', `the ONNX model has no output ${LOGITS} (outputs: ${session.outputNames.join(', ')})`);
    this.distilled = session.outputNames.includes(LOGITS_CLS) && session.outputNames.includes(LOGITS_DIST);
    const shape = session.inputMetadata?.find((m) => m.name === INPUT_NAME)?.shape ?? [];
    this.inputShape = shape.slice(1).map((d) => (typeof d === 'number' && d > 0 ? d : undefined));
  }

  /** Loads onnxruntime (lazily) and opens a session on an `.onnx` file (or an exported folder) or the file's bytes. */
  static async create(model: string | Uint8Array, options: OrtClassifierOptions = {}): Promise<OrtClassifier> {
    const intra = intraOpThreads(options.intraOpThreads);
    const ort = await loadOrt(options.loader);
    const session = await ort.InferenceSession.create(typeof model === 'string' ? onnxModelPath(model) : model, {
      intraOpNumThreads: intra,
      interOpNumThreads: options.interOpThreads ?? 1,
      graphOptimizationLevel: 'all',
      executionProviders: ['cpu'],
    });
    return new OrtClassifier(ort, session);
  }

  /** Logits of a batch of NCHW float32 images `[batch, C, H, W]` (normalised as the model expects). */
  async predict(pixels: Float32Array, dims: readonly [number, number, number, number]): Promise<OrtLogits> {
    const [batch] = dims;
    if (pixels.length !== dims.reduce((a, b) => a * b, 1)) throw new ShapeError('pixels', `${pixels.length} values for shape [${dims.join(',')}]`);
    this.inputShape.forEach((d, i) => {
      if (d !== undefined && dims[i + 1] !== d) throw new ShapeError('pixels', `the model takes [batch, ${this.shapeText()}], got [${dims.join(',')}]`);
    });
    const feeds = { [INPUT_NAME]: new this.ort.Tensor('float32', pixels, dims) };
    const out = await this.session.run(feeds);
    const logits = out[LOGITS]!;
    const result: OrtLogits = { logits: float32(logits, LOGITS), batch, numClasses: logits.dims[1]! };
    if (this.distilled) {
      result.cls = float32(out[LOGITS_CLS]!, LOGITS_CLS);
      result.dist = float32(out[LOGITS_DIST]!, LOGITS_DIST);
    }
    return result;
  }

  /** Eval-mode logits `[batch, classes]` of NHWC images `[batch, H, W, C]`, as a deitjs model's `predict` takes them. */
  async predictImages(images: tf.Tensor4D): Promise<tf.Tensor2D> {
    if (images.rank !== 4) throw new ShapeError('images', `expected NHWC [batch, H, W, C], got [${images.shape.join(',')}]`);
    const [n, h, w, c] = images.shape;
    const nchw = nhwcToNchw(images.dataSync() as Float32Array, images.shape);
    const { logits, numClasses } = await this.predict(nchw.data, [n, c, h, w]);
    return tf.tensor2d(logits, [n, numClasses]);
  }

  /** Frees the native session. */
  async dispose(): Promise<void> {
    await this.session.release();
  }

  private shapeText(): string {
    return this.inputShape.map((d) => d ?? '?').join(', ');
  }
}
