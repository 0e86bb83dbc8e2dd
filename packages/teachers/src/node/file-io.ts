// Node-only: reads and writes the file system. Not for a browser entry.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CheckpointError, ConfigError, tf, writeFileAtomic } from '@deitjs/core';

/** The URL scheme the handler answers, as tfjs-node's. */
export const FILE_SCHEME = 'file://';
/** The names a saved model gets inside its directory (tfjs-node's layout). */
export const MODEL_JSON = 'model.json';
/** The one weights shard of a saved model. */
export const WEIGHTS_BIN = 'weights.bin';

/** `file:///abs/dir`, `file://rel/dir` (tfjs-node accepts both) or a plain path → a file-system path. */
function pathOf(url: string): string {
  const rest = url.startsWith(FILE_SCHEME) ? url.slice(FILE_SCHEME.length) : url;
  if (rest === '') throw new ConfigError('path', `"${url}" names no file or directory`);
  return url.startsWith('file:///') ? fileURLToPath(url) : rest;
}

/** The model.json of a load target: the file itself, or `model.json` inside a directory. */
function modelJsonOf(path: string): string {
  return existsSync(path) && statSync(path).isDirectory() ? join(path, MODEL_JSON) : path;
}

/** A weight shard path of a model.json, refused when it is absolute or leaves the model's directory. */
function shardPath(modelJson: string, p: unknown): string {
  if (typeof p !== 'string' || p === '' || isAbsolute(p) || normalize(p).split(/[\\/]/).includes('..')) {
    throw new CheckpointError(modelJson, `weight shard path ${JSON.stringify(p)} is not a file beside the model.json`);
  }
  const dir = resolve(dirname(modelJson));
  const file = resolve(dir, p);
  if (!file.startsWith(dir + sep)) throw new CheckpointError(modelJson, `weight shard path ${JSON.stringify(p)} leaves the model's directory`);
  return file;
}

function toBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  return new Uint8Array(Array.isArray(data) ? tf.io.CompositeArrayBuffer.join(data) : data);
}

/** Saves model artifacts as `model.json` + `weights.bin` in `dir` (created if needed), each written atomically. */
function save(dir: string, artifacts: tf.io.ModelArtifacts): tf.io.SaveResult {
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new ConfigError('model', 'a binary (protobuf) topology cannot be saved as model.json; save a LayersModel');
  }
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new ConfigError('path', `${dir} exists and is not a directory (file:// saves to a directory)`);
  mkdirSync(dir, { recursive: true });
  const weights = toBytes(artifacts.weightData);
  const modelJson: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology as object,
    weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
    ...(artifacts.format !== undefined ? { format: artifacts.format } : {}),
    ...(artifacts.generatedBy !== undefined ? { generatedBy: artifacts.generatedBy } : {}),
    ...(artifacts.convertedBy !== undefined ? { convertedBy: artifacts.convertedBy } : {}),
    ...(artifacts.trainingConfig !== undefined ? { trainingConfig: artifacts.trainingConfig } : {}),
    ...(artifacts.signature !== undefined ? { signature: artifacts.signature } : {}),
    ...(artifacts.userDefinedMetadata !== undefined ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
    ...(artifacts.modelInitializer !== undefined ? { modelInitializer: artifacts.modelInitializer } : {}),
  };
  // Weights first, model.json last: a reader that finds a model.json finds its weights complete.
  writeFileAtomic(join(dir, WEIGHTS_BIN), [weights]);
  const json = JSON.stringify(modelJson);
  writeFileAtomic(join(dir, MODEL_JSON), [json]);
  return {
    modelArtifactsInfo: {
      dateSaved: new Date(),
      modelTopologyType: 'JSON',
      modelTopologyBytes: Buffer.byteLength(JSON.stringify(artifacts.modelTopology), 'utf8'),
      weightSpecsBytes: Buffer.byteLength(JSON.stringify(artifacts.weightSpecs ?? []), 'utf8'),
      weightDataBytes: weights.byteLength,
    },
  };
}

/**
 * Reads a TF.js `model.json` (layers or graph format; or a directory holding one) and its weight shards, concatenated
 * in manifest order, into model artifacts. Hostile files are refused with a {@link CheckpointError} naming the
 * model.json: unreadable JSON, no topology, a malformed manifest, a shard path that is absolute or leaves the
 * model's directory, a missing shard.
 */
export function readModelJsonArtifacts(path: string): tf.io.ModelArtifacts {
  const file = modelJsonOf(path);
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as tf.io.ModelJSON;
  } catch (err) {
    throw new CheckpointError(file, `not a readable TF.js model.json: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (json === null || typeof json !== 'object' || json.modelTopology === undefined) {
    throw new CheckpointError(file, 'has no modelTopology (not a TF.js model.json)');
  }
  const manifest = (json.weightsManifest ?? []) as unknown;
  if (!Array.isArray(manifest)) throw new CheckpointError(file, 'weightsManifest is not a list of weight groups');
  const specs: tf.io.WeightsManifestEntry[] = [];
  const shards: ArrayBuffer[] = [];
  for (const group of manifest as tf.io.WeightsManifestConfig) {
    if (!Array.isArray(group?.paths) || !Array.isArray(group.weights)) throw new CheckpointError(file, 'a weightsManifest group needs "paths" and "weights" lists');
    for (const p of group.paths) {
      const shard = shardPath(file, p);
      let bytes: Buffer;
      try {
        bytes = readFileSync(shard);
      } catch {
        throw new CheckpointError(file, `weight shard ${basename(shard)} cannot be read (looked for ${shard})`);
      }
      shards.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    }
    specs.push(...group.weights);
  }
  return tf.io.getModelArtifactsForJSONSync(json, specs, tf.io.CompositeArrayBuffer.join(shards));
}

/**
 * A TF.js IOHandler on the local file system, for `model.save(…)` and `loadLayersModel(…)` in Node without
 * tfjs-node: saving writes `model.json` and `weights.bin` (TF.js's format, as tfjs-node writes them) into the
 * directory `path`, atomically; loading reads a `model.json` (or a directory holding one) and its shards, which
 * must lie beside it. `path` may be a plain path or a `file://` URL.
 */
export function nodeFileIo(path: string): tf.io.IOHandler {
  const p = pathOf(path);
  return { save: async (artifacts) => save(p, artifacts), load: async () => readModelJsonArtifacts(p) };
}

// TF.js's IORouter type promises a handler, but its registry skips routers that return null (as its own do).
const fileRouter = ((url: string | string[]): tf.io.IOHandler | null =>
  typeof url === 'string' && url.startsWith(FILE_SCHEME) ? nodeFileIo(url) : null) as Parameters<typeof tf.io.registerSaveRouter>[0];
let registered = false;

/**
 * Registers {@link nodeFileIo} for `file://` URLs with TF.js's IO router, so `model.save('file://dir')` and
 * `tf.loadLayersModel('file://dir/model.json')` work in Node without tfjs-node. Idempotent, and it stands aside
 * when a `file://` handler is already registered (tfjs-node's): TF.js refuses a URL two handlers claim.
 * Returns whether this call registered it.
 */
export function registerNodeFileIo(): boolean {
  if (registered) return false;
  if (tf.io.getSaveHandlers(`${FILE_SCHEME}probe`).length > 0 || tf.io.getLoadHandlers(`${FILE_SCHEME}probe`).length > 0) return false;
  tf.io.registerSaveRouter(fileRouter);
  tf.io.registerLoadRouter(fileRouter);
  registered = true;
  return true;
}
