import { DeitError, numel, writeFileAtomic } from '@deitjs/core';
import type { GraphBuilder, Initializer } from './graph.js';
import { DataType, fieldPrefix, onnx } from './proto.js';

/** The ONNX IR version written (IR 8: opsets up to 18). */
export const IR_VERSION = 8;
/** The default ONNX opset (17: LayerNormalization). */
export const DEFAULT_OPSET = 17;
// protobuf messages are limited to 2 GiB; larger models need external data, which this writer does not do.
const MAX_MODEL_BYTES = 2 ** 31 - 1;

/** An exported graph with the model-level fields of its ModelProto. */
export interface OnnxModel {
  /** The graph (nodes, inputs, outputs, initializers). */
  graph: GraphBuilder;
  /** The default-domain opset version the graph uses. */
  opset: number;
  /** `metadata_props` of the model (e.g. the source architecture). */
  metadata: Record<string, string>;
}

// Field numbers in onnx.proto.
const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const TENSOR_RAW_DATA = 9;

function elementBytes(t: Initializer): number {
  return t.dataType === DataType.INT64 ? 8 : 4;
}

/**
 * The serialised ModelProto as a sequence of chunks whose concatenation is the `.onnx` file. The small messages are
 * encoded by onnx-proto; each initializer's elements are produced (by its `data()`), written as the raw bytes of its
 * `raw_data` field and dropped before the next one, so memory stays at one tensor beyond the model itself. The
 * graph is framed from two encoded GraphProto parts (nodes and name; inputs and outputs) around the initializers:
 * protobuf parsers merge repeated fields of concatenated parts, and the fields stay in field-number order.
 */
export function* modelChunks(model: OnnxModel): Generator<Uint8Array> {
  const { graph } = model;
  const head = onnx.ModelProto.encode({
    irVersion: IR_VERSION,
    producerName: 'deitjs',
    producerVersion: '0.1.0',
    opsetImport: [{ domain: '', version: model.opset }],
  }).finish();
  const graphHead = onnx.GraphProto.encode({ node: graph.nodes, name: graph.name }).finish();
  const graphTail = onnx.GraphProto.encode({ input: graph.inputs, output: graph.outputs }).finish();
  const modelTail = onnx.ModelProto.encode({
    metadataProps: Object.entries(model.metadata).map(([key, value]) => ({ key, value })),
  }).finish();
  const frames = graph.initializers.map((t) => {
    const tensorHead = onnx.TensorProto.encode({ dims: t.dims, dataType: t.dataType, name: t.name }).finish();
    const rawBytes = numel(t.dims) * elementBytes(t);
    const rawPrefix = fieldPrefix(TENSOR_RAW_DATA, rawBytes);
    const tensorBytes = tensorHead.length + rawPrefix.length + rawBytes;
    return { t, prefix: fieldPrefix(GRAPH_INITIALIZER, tensorBytes), tensorHead, rawPrefix, rawBytes };
  });
  const graphBytes = frames.reduce((n, f) => n + f.prefix.length + f.tensorHead.length + f.rawPrefix.length + f.rawBytes, graphHead.length + graphTail.length);
  if (graphBytes + head.length + modelTail.length + 16 > MAX_MODEL_BYTES) {
    throw new DeitError('E_ONNX', `the model's graph is ${graphBytes} bytes, over protobuf's 2 GiB limit`);
  }
  yield head;
  yield fieldPrefix(MODEL_GRAPH, graphBytes);
  yield graphHead;
  for (const f of frames) {
    const data = f.t.data();
    if (data.byteLength !== f.rawBytes) {
      throw new DeitError('E_ONNX', `initializer ${f.t.name}: ${data.length} elements for shape [${f.t.dims.join(',')}]`);
    }
    yield f.prefix;
    yield f.tensorHead;
    yield f.rawPrefix;
    yield new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  yield graphTail;
  yield modelTail;
}

/** The whole `.onnx` file in memory (for small models and for creating a session from bytes). */
export function modelBytes(model: OnnxModel): Uint8Array {
  const chunks = [...modelChunks(model)];
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** Writes the `.onnx` file atomically, streaming one initializer at a time. */
export function writeModel(file: string, model: OnnxModel): void {
  writeFileAtomic(file, modelChunks(model));
}
