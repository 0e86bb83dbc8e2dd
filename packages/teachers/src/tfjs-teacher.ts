// TF.js models as teachers in any environment; a model.json is fetched by URL here. Node's entry reads a local path
// instead (tfjs-model-teacher.ts, which shares everything else).
import { CheckpointError, ConfigError, IMAGENET_NORMALIZATION, ShapeError, tf } from '@deitjs/core';
import { withoutGradient } from './no-gradient.js';
import { type FingerprintedTeacher, type TeacherIoOptions, normalizationSalt, renormalize } from './teacher.js';
import { tfjsModelFingerprint } from './tfjs-model-fingerprint.js';
import { loadWithTfjsLoader } from './tfjs-loaders.js';

/** What a TF.js `LayersModel` or `GraphModel` offers that a teacher needs (both have `predict`). */
export interface TfjsModelLike {
  predict(inputs: tf.Tensor, config?: Record<string, unknown>): tf.Tensor | tf.Tensor[] | tf.NamedTensorMap;
}

/** Options of {@link teacherFromTfjsModel}. */
export interface TfjsTeacherOptions extends TeacherIoOptions {
  /** What the model outputs: `logits` (default) or `probabilities` (a softmax head; log is taken, which is the logits up to a constant). */
  outputs?: 'logits' | 'probabilities';
  /** Model input layout; `NCHW` transposes the NHWC batch first (default `NHWC`). */
  inputLayout?: 'NHWC' | 'NCHW';
  /** Number of classes; default: read from one probe batch of zeros at the model's input size. */
  numClasses?: number;
}

/** Whether model artifacts are converter output (a GraphModel) rather than a LayersModel. */
export function isGraphModelArtifacts(artifacts: tf.io.ModelArtifacts): boolean {
  return artifacts.format === 'graph-model' || (artifacts.modelTopology as { node?: unknown } | undefined)?.node !== undefined;
}

/** Loads a TF.js model from its artifacts with the optional peer for its format (`source` names it in errors). */
export async function loadTfjsModelArtifacts(artifacts: tf.io.ModelArtifacts, source: string): Promise<TfjsModelLike> {
  try {
    return await loadWithTfjsLoader(isGraphModelArtifacts(artifacts) ? 'graph' : 'layers', tf.io.fromMemory(artifacts));
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new CheckpointError(source, `TF.js could not build the model: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Loads a TF.js model from the URL of its `model.json` (weights from the shards beside it), with TF.js's HTTP loader. */
export async function loadTfjsModel(url: string): Promise<TfjsModelLike> {
  let artifacts: tf.io.ModelArtifacts;
  try {
    artifacts = await tf.io.http(url).load!();
  } catch (err) {
    throw new CheckpointError(url, `cannot be fetched as a TF.js model.json: ${err instanceof Error ? err.message : String(err)}`);
  }
  return loadTfjsModelArtifacts(artifacts, url);
}

/**
 * A TF.js `LayersModel` or `GraphModel` (or the URL of its `model.json`) as a teacher: the student's NHWC
 * batch is re-normalised if needed, passed through `predict` without recording gradients, and its single
 * `[batch, classes]` output taken as logits (or log-probabilities, see {@link TfjsTeacherOptions.outputs}).
 */
export async function teacherFromTfjsModel(model: TfjsModelLike | string, options: TfjsTeacherOptions = {}): Promise<FingerprintedTeacher> {
  return tfjsModelTeacher(typeof model === 'string' ? await loadTfjsModel(model) : model, options, typeof model === 'string' ? model : undefined);
}

/** The teacher of a loaded TF.js model (`source`: where it came from, its default name). */
export function tfjsModelTeacher(m: TfjsModelLike, options: TfjsTeacherOptions = {}, source?: string): FingerprintedTeacher {
  const from = options.inputNormalization ?? IMAGENET_NORMALIZATION;
  const to = options.normalization ?? from;
  const name = options.name ?? source ?? 'tfjs-model';
  const forward = (images: tf.Tensor4D): tf.Tensor2D => {
    const x = renormalize(images, from, to);
    const out = m.predict(options.inputLayout === 'NCHW' ? tf.transpose(x, [0, 3, 1, 2]) : x);
    const y = out instanceof tf.Tensor ? out : Array.isArray(out) ? out[0] : Object.values(out)[0];
    if (y === undefined || y.rank !== 2) {
      throw new ShapeError('teacher output', `${name} must return one [batch, classes] tensor, got ${y === undefined ? 'nothing' : `[${y.shape.join(',')}]`}`);
    }
    return options.outputs === 'probabilities' ? (tf.log(tf.maximum(y, 1e-30)) as tf.Tensor2D) : (y as tf.Tensor2D);
  };
  // The class count comes from one probe batch: TF.js models do not state it uniformly across formats.
  const numClasses = options.numClasses ?? tf.tidy(() => forward(tf.zeros(probeInputShape(m, options.inputLayout ?? 'NHWC')) as tf.Tensor4D).shape[1]);
  return {
    name,
    numClasses,
    predict: (images) => {
      if (images.rank !== 4) throw new ShapeError('images', `expected NHWC [batch, H, W, C], got [${images.shape.join(',')}]`);
      return tf.tidy(() => withoutGradient((x) => forward(x as tf.Tensor4D), images));
    },
    // Architecture and weights (not TF.js's per-load variable names), and every option that changes the outputs.
    fingerprint: () =>
      tfjsModelFingerprint(m, name, `${normalizationSalt(from, to)}|outputs ${options.outputs ?? 'logits'}|layout ${options.inputLayout ?? 'NHWC'}`),
  };
}

/** An NHWC probe shape from the model's declared input (unknown sizes: 32 px, 3 channels). */
function probeInputShape(m: TfjsModelLike, layout: 'NHWC' | 'NCHW'): [number, number, number, number] {
  const declared = m as unknown as { inputs?: Array<{ shape?: Array<number | null> }> };
  const s = declared.inputs?.[0]?.shape;
  const d = (v: number | null | undefined, dflt: number): number => (typeof v === 'number' && v > 0 ? v : dflt);
  if (s?.length !== 4) return [1, 32, 32, 3];
  return layout === 'NCHW' ? [1, d(s[2], 32), d(s[3], 32), d(s[1], 3)] : [1, d(s[1], 32), d(s[2], 32), d(s[3], 3)];
}
