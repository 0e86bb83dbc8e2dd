import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CheckpointError, IMAGENET_NORMALIZATION, ShapeError, tf } from '@deitjs/core';
import { withoutGradient } from './no-gradient.js';
import { type FingerprintedTeacher, type TeacherIoOptions, normalizationSalt, renormalize } from './teacher.js';
import { tfjsModelFingerprint } from './tfjs-model-fingerprint.js';

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

interface WeightsGroup {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

/** Reads a `model.json` (layers or graph format) and its weight shards into in-memory model artifacts. */
export function readTfjsModelArtifacts(modelJson: string): tf.io.ModelArtifacts {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(modelJson, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new CheckpointError(modelJson, `not a readable TF.js model.json: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (json.modelTopology === undefined) throw new CheckpointError(modelJson, 'has no modelTopology (not a TF.js model.json)');
  const groups = (json.weightsManifest ?? []) as WeightsGroup[];
  const buffers: Uint8Array[] = [];
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  for (const g of groups) {
    for (const p of g.paths) {
      const shard = join(dirname(modelJson), p);
      try {
        buffers.push(readFileSync(shard));
      } catch {
        throw new CheckpointError(modelJson, `weight shard ${p} cannot be read (looked for ${shard})`);
      }
    }
    weightSpecs.push(...g.weights);
  }
  const total = buffers.reduce((s, b) => s + b.byteLength, 0);
  const weightData = new Uint8Array(total);
  let off = 0;
  for (const b of buffers) {
    weightData.set(b, off);
    off += b.byteLength;
  }
  return {
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    format: json.format as string | undefined,
    generatedBy: json.generatedBy as string | undefined,
    convertedBy: json.convertedBy as string | null | undefined,
    signature: json.signature as object | undefined,
    userDefinedMetadata: json.userDefinedMetadata as tf.io.ModelArtifacts['userDefinedMetadata'],
    modelInitializer: json.modelInitializer as object | undefined,
    weightSpecs,
    weightData: weightData.buffer,
  };
}

interface TfjsLoaders {
  loadLayersModel(h: tf.io.IOHandler): Promise<TfjsModelLike>;
  loadGraphModel(h: tf.io.IOHandler): Promise<TfjsModelLike & { weights?: tf.NamedTensorMap }>;
}

/** Loads a TF.js model from a local `model.json`: a GraphModel for converter output (`format: graph-model`), else a LayersModel. */
export async function loadTfjsModel(modelJson: string): Promise<TfjsModelLike> {
  const artifacts = readTfjsModelArtifacts(modelJson);
  // The layers and converter APIs live in the @tensorflow/tfjs union that core already loads; a variable
  // specifier keeps it out of this package's static imports.
  const union = '@tensorflow/tfjs';
  const tfjs = (await import(union)) as TfjsLoaders;
  const handler = tf.io.fromMemory(artifacts);
  const isGraph = artifacts.format === 'graph-model' || (artifacts.modelTopology as { node?: unknown } | undefined)?.node !== undefined;
  try {
    return isGraph ? await tfjs.loadGraphModel(handler) : await tfjs.loadLayersModel(handler);
  } catch (err) {
    throw new CheckpointError(modelJson, `TF.js could not build the model: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * A TF.js `LayersModel` or `GraphModel` (or the path of its `model.json`) as a teacher: the student's NHWC
 * batch is re-normalised if needed, passed through `predict` without recording gradients, and its single
 * `[batch, classes]` output taken as logits (or log-probabilities, see {@link TfjsTeacherOptions.outputs}).
 */
export async function teacherFromTfjsModel(model: TfjsModelLike | string, options: TfjsTeacherOptions = {}): Promise<FingerprintedTeacher> {
  const source = typeof model === 'string' ? model : undefined;
  const m = typeof model === 'string' ? await loadTfjsModel(model) : model;
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
