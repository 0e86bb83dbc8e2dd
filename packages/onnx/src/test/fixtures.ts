// Helpers shared by this package's tests (not exported from the package).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { onnx } from '../proto.js';
import { type StateDict, nchwToNhwc, readSafetensors, tf, toFloat32 } from '@deitjs/core';

/** Absolute path of a file in the repo's `fixtures/` folder. */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../../../../fixtures/${name}`, import.meta.url));
}

/** Reads a fixture safetensors file. */
export function readFixture(name: string): StateDict {
  return readSafetensors(fixturePath(name));
}

/** The fixture's NCHW `inputs`: data and dims. */
export function fixturePixels(io: StateDict): { data: Float32Array; dims: [number, number, number, number] } {
  const t = io.get('inputs')!;
  return { data: toFloat32(t), dims: t.shape as [number, number, number, number] };
}

/** The fixture's inputs as an NHWC tensor (what deitjs models take). */
export function fixtureImages(io: StateDict): tf.Tensor4D {
  const { data, dims } = fixturePixels(io);
  const nhwc = nchwToNhwc(data, dims);
  return tf.tensor4d(nhwc.data, nhwc.shape as [number, number, number, number]);
}

/** Rows `[from, to)` of NCHW pixels of `dims`. */
export function batchRows(data: Float32Array, dims: readonly number[], from: number, to: number): Float32Array {
  const per = data.length / dims[0]!;
  return data.slice(from * per, to * per);
}

interface ManifestEntry {
  model?: string;
  outputs?: Record<string, { suggested_atol: number }>;
}
let manifest: ManifestEntry[] | undefined;

/** The fixture manifest's suggested absolute tolerance of output `key` of fixture `model`. */
export function suggestedAtol(model: string, key: string): number {
  manifest ??= (JSON.parse(readFileSync(fixturePath('MANIFEST.json'), 'utf8')) as { fixtures: ManifestEntry[] }).fixtures;
  const atol = manifest.find((f) => f.model === model)?.outputs?.[key]?.suggested_atol;
  if (atol === undefined) throw new Error(`no suggested_atol for ${model} ${key} in MANIFEST.json`);
  return atol;
}

/** Decodes an `.onnx` file's bytes (onnx-proto) into its ModelProto and GraphProto. */
export function decodeModel(bytes: Uint8Array): { model: OnnxTypes.ModelProto; graph: OnnxTypes.GraphProto } {
  const model = onnx.ModelProto.decode(bytes);
  return { model, graph: model.graph as OnnxTypes.GraphProto };
}
