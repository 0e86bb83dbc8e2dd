// The ONNX protobuf messages (onnx-proto: onnx.proto compiled by protobufjs) and small constructors for them.
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import protobuf from 'protobufjs/minimal.js';

/** The generated ONNX namespace (`ModelProto`, `GraphProto`, `NodeProto`, `TensorProto`, …). */
export const onnx = onnxProto.onnx;
/** The protobufjs writer used for the length-delimited framing of streamed messages. */
export const ProtoWriter = protobuf.Writer;

/** An ONNX node attribute value: numbers are INT unless listed in `floats`; arrays are INTS / FLOATS. */
export type AttrValue = number | number[] | string;

/** Element types the exporter writes. */
export const DataType = { FLOAT: onnx.TensorProto.DataType.FLOAT, INT64: onnx.TensorProto.DataType.INT64 } as const;

/** An attribute proto; `float` marks a number (or array) as FLOAT(S) instead of INT(S). */
export function attribute(name: string, value: AttrValue, float = false): OnnxTypes.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return float ? { name, type: T.FLOATS, floats: value } : { name, type: T.INTS, ints: value };
  return float ? { name, type: T.FLOAT, f: value } : { name, type: T.INT, i: value };
}

/** A float32 tensor value-info with a symbolic (`string`) or fixed (`number`) size per axis. */
export function tensorValueInfo(name: string, dims: Array<number | string>): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

/** Encoded length of a varint (protobuf base-128), as protobufjs writes it. */
export function varintLength(n: number): number {
  return ProtoWriter.create().uint32(n).len;
}

/** The key and length prefix of a length-delimited field `field` holding `length` bytes. */
export function fieldPrefix(field: number, length: number): Uint8Array {
  // Wire type 2 = length-delimited (embedded message or bytes).
  return ProtoWriter.create()
    .uint32((field << 3) | 2)
    .uint32(length)
    .finish();
}
