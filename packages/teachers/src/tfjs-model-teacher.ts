// Node's TF.js teachers: a model.json read from a local path (and its shards beside it). Everything else is shared
// with the browser entry (tfjs-teacher.ts).
import type { tf } from '@deitjs/core';
import { readModelJsonArtifacts } from './node/file-io.js';
import type { FingerprintedTeacher } from './teacher.js';
import { type TfjsModelLike, type TfjsTeacherOptions, loadTfjsModelArtifacts, tfjsModelTeacher } from './tfjs-teacher.js';

export type { TfjsModelLike, TfjsTeacherOptions } from './tfjs-teacher.js';

/**
 * Reads a `model.json` (layers or graph format) and its weight shards into in-memory model artifacts; shards must lie
 * beside it (a path that leaves the model's directory is a CheckpointError, as in the file:// handler, which shares this reader).
 */
export function readTfjsModelArtifacts(modelJson: string): tf.io.ModelArtifacts {
  return readModelJsonArtifacts(modelJson);
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
