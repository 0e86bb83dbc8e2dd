import { DeitError } from '@deitjs/core';
import type { onnx } from 'onnx-proto';
import { type AttrValue, DataType, attribute, tensorValueInfo } from './proto.js';

/**
 * One initializer (a weight): its name, shape and element type, and a function producing its elements. The
 * elements are only materialised when the model is serialised, one initializer at a time, so exporting a large
 * network never holds a second copy of all its weights.
 */
export interface Initializer {
  /** Tensor name in the graph (the PyTorch state-dict key where the tensor is one unchanged). */
  name: string;
  /** Shape (row-major). */
  dims: number[];
  /** `FLOAT` or `INT64`. */
  dataType: number;
  /** The elements, little-endian: a Float32Array for FLOAT, a BigInt64Array for INT64. */
  data: () => Float32Array | BigInt64Array;
}

/** An ONNX graph under construction: nodes in topological order, inputs, outputs and lazy initializers. */
export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly inputs: onnx.IValueInfoProto[] = [];
  readonly outputs: onnx.IValueInfoProto[] = [];
  readonly initializers: Initializer[] = [];
  private readonly names = new Set<string>();
  private readonly constants = new Map<string, string>();
  private counter = 0;

  /** Creates an empty graph called `name`. */
  constructor(readonly name: string) {}

  /** Declares a float32 graph input; returns its name. */
  input(name: string, dims: Array<number | string>): string {
    this.claim(name);
    this.inputs.push(tensorValueInfo(name, dims));
    return name;
  }

  /** Declares `value` a float32 graph output under the name `name` (an Identity node renames it). */
  output(name: string, value: string, dims: Array<number | string>): void {
    this.claim(name);
    this.nodes.push({ opType: 'Identity', input: [value], output: [name], name: `${name}/Identity` });
    this.outputs.push(tensorValueInfo(name, dims));
  }

  /** Adds a float32 initializer whose elements `data` produces (called once, at serialisation); returns its name. */
  weight(name: string, dims: number[], data: () => Float32Array): string {
    this.claim(name);
    this.initializers.push({ name, dims, dataType: DataType.FLOAT, data });
    return name;
  }

  /** A float32 scalar constant (shared between uses of the same value). */
  scalar(value: number): string {
    const key = `f32:${value}`;
    let name = this.constants.get(key);
    if (name === undefined) {
      name = this.weight(this.fresh('const'), [], () => Float32Array.of(value));
      this.constants.set(key, name);
    }
    return name;
  }

  /** An int64 constant: a 1-d vector from an array, a 0-d scalar from a number (shared between equal uses). */
  int64(value: number | number[]): string {
    const key = `i64:${JSON.stringify(value)}`;
    let name = this.constants.get(key);
    if (name === undefined) {
      name = this.fresh('const');
      this.claim(name);
      const values = typeof value === 'number' ? [value] : value;
      const dims = typeof value === 'number' ? [] : [values.length];
      this.initializers.push({ name, dims, dataType: DataType.INT64, data: () => BigInt64Array.from(values, (v) => BigInt(v)) });
      this.constants.set(key, name);
    }
    return name;
  }

  /** Appends a node with one output and returns the output's name (`out` or a fresh name under `scope`). */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, scope = opType, floatAttrs: string[] = []): string {
    const out = this.fresh(scope);
    this.claim(out);
    const attribute_ = Object.entries(attrs).map(([k, v]) => attribute(k, v, floatAttrs.includes(k)));
    this.nodes.push({ opType, input: inputs, output: [out], name: `${out}/${opType}`, attribute: attribute_ });
    return out;
  }

  /** Appends a node with `count` outputs (e.g. LayerNormalization's Y, Mean, InvStdDev) and returns their names. */
  opMulti(opType: string, inputs: string[], count: number, attrs: Record<string, AttrValue> = {}, scope = opType, floatAttrs: string[] = []): string[] {
    const outs = Array.from({ length: count }, () => {
      const out = this.fresh(scope);
      this.claim(out);
      return out;
    });
    const attribute_ = Object.entries(attrs).map(([k, v]) => attribute(k, v, floatAttrs.includes(k)));
    this.nodes.push({ opType, input: inputs, output: outs, name: `${outs[0]}/${opType}`, attribute: attribute_ });
    return outs;
  }

  private fresh(scope: string): string {
    let name: string;
    do name = `${scope}/${this.counter++}`;
    while (this.names.has(name));
    return name;
  }

  private claim(name: string): void {
    if (this.names.has(name)) throw new DeitError('E_ONNX', `duplicate tensor name ${name} in graph ${this.name}`);
    this.names.add(name);
  }
}
