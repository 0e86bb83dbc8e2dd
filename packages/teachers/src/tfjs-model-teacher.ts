// Node's TF.js teachers: a model.json read from a local path (and its shards beside it). Everything else is shared
// with the browser entry (tfjs-teacher.ts).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CheckpointError, type tf } from '@deitjs/core';
import type { FingerprintedTeacher } from './teacher.js';
import { type TfjsModelLike, type TfjsTeacherOptions, loadTfjsModelArtifacts, tfjsModelTeacher } from './tfjs-teacher.js';

export type { TfjsModelLike, TfjsTeacherOptions } from './tfjs-teacher.js';

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

/** Loads a TF.js model from a local `model.json`: a GraphModel for converter output (`format: graph-model`), else a LayersModel. */
export async function loadTfjsModel(modelJson: string): Promise<TfjsModelLike> {
  return loadTfjsModelArtifacts(readTfjsModelArtifacts(modelJson), modelJson);
}

/**
 * A TF.js `LayersModel` or `GraphModel` (or the path of its local `model.json`) as a teacher: see
 * {@link tfjsModelTeacher} (the student's batch re-normalised, `predict` without gradients, one `[batch, classes]`
 * output as logits or log-probabilities).
 */
export async function teacherFromTfjsModel(model: TfjsModelLike | string, options: TfjsTeacherOptions = {}): Promise<FingerprintedTeacher> {
  return tfjsModelTeacher(typeof model === 'string' ? await loadTfjsModel(model) : model, options, typeof model === 'string' ? model : undefined);
}
