import { ConfigError, type tf } from '@deitjs/core';
import { hashNamedTensors } from './fingerprint.js';

/** What a TF.js model may expose beyond `predict`: a LayersModel's `toJSON`, a GraphModel's artifacts, their weights. */
interface ModelIntrospection {
  toJSON?(unused?: unknown, returnString?: boolean): unknown;
  artifacts?: { modelTopology?: unknown };
  weights?: unknown;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every layer name of a Keras-style topology (a `config.name` beside a `class_name`), in document order. */
function layerNames(node: unknown, out: string[]): string[] {
  if (Array.isArray(node)) for (const v of node) layerNames(v, out);
  else if (node !== null && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    const config = o.config as Record<string, unknown> | undefined;
    if (typeof o.class_name === 'string' && typeof config?.name === 'string' && !out.includes(config.name)) out.push(config.name);
    for (const v of Object.values(o)) layerNames(v, out);
  }
  return out;
}

/** The topology with each layer name replaced by its position (`#3`): names TF.js generates differ between builds. */
function withoutNames(node: unknown, index: Map<string, number>): Json {
  if (typeof node === 'string') return index.has(node) ? `#${index.get(node)}` : node;
  if (Array.isArray(node)) return node.map((v) => withoutNames(v, index));
  if (node !== null && typeof node === 'object') {
    const out: { [k: string]: Json } = {};
    // Sorted keys: the same topology serialises the same way whatever order its writer used.
    for (const k of Object.keys(node).sort()) out[k] = withoutNames((node as Record<string, unknown>)[k], index);
    return out;
  }
  return (node ?? null) as Json;
}

/**
 * A TF.js model's architecture as canonical JSON: a LayersModel's `toJSON()` (or a GraphModel's graph) with layer
 * and model names replaced by their positions and the writer's version fields dropped, so the same architecture
 * built or loaded twice (TF.js numbers auto-named layers per process: `dense_Dense1`, `dense_Dense3`, …) gives the
 * same text. Undefined for a model that describes neither.
 */
export function tfjsArchitecture(model: object): string | undefined {
  const m = model as ModelIntrospection;
  let topology: unknown;
  if (typeof m.toJSON === 'function') topology = m.toJSON(null, false);
  else if (m.artifacts?.modelTopology !== undefined) topology = m.artifacts.modelTopology;
  if (topology === undefined || topology === null || typeof topology !== 'object') return undefined;
  const { keras_version: _k, backend: _b, ...rest } = topology as Record<string, unknown>;
  const index = new Map(layerNames(rest, []).map((n, i) => [n, i]));
  return JSON.stringify(withoutNames(rest, index));
}

/**
 * The model's weights in their fixed order (a LayersModel's `weights`, a GraphModel's weight map), each named by
 * its position: TF.js suffixes variable names per load (`dense_Dense1/kernel_1`, `…_2`), so names cannot be hashed.
 */
export function tfjsWeights(model: object): Array<[string, tf.Tensor]> {
  const w = (model as ModelIntrospection).weights;
  let tensors: tf.Tensor[] = [];
  if (Array.isArray(w)) tensors = (w as Array<{ read(): tf.Tensor }>).map((v) => v.read());
  else if (w !== null && typeof w === 'object') tensors = Object.values(w as Record<string, tf.Tensor | tf.Tensor[]>).flat();
  return tensors.map((t, i) => [`w${i}`, t]);
}

/**
 * SHA-256 (hex) of a TF.js model's architecture ({@link tfjsArchitecture}) and weights (values, shapes, dtypes, in
 * order), with `salt` for whatever else changes the teacher's outputs. Stable across loads of the same files and
 * across processes; a changed weight value or layer changes it. A {@link ConfigError} when the model exposes no weights.
 */
export function tfjsModelFingerprint(model: object, name: string, salt = ''): string {
  const weights = tfjsWeights(model);
  if (weights.length === 0) throw new ConfigError('teacher', `${name}: the model exposes no weights to fingerprint`);
  const arch = tfjsArchitecture(model) ?? 'unknown architecture';
  return hashNamedTensors(weights, `${salt}\narchitecture ${arch}`);
}
