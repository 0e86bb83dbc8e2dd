import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeitError } from '@deitjs/core';
import { afterAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from './graph.js';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { onnx } from './proto.js';
import { decodeModel } from './test/fixtures.js';
import { DEFAULT_OPSET, IR_VERSION, type OnnxModel, modelBytes, modelChunks, writeModel } from './serialize.js';

const dir = mkdtempSync(join(tmpdir(), 'deitjs-onnx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** y = x·Wᵀ + b with W [2, 3] and b [2], plus a counter of how often each initializer's data was produced. */
function tinyModel(): { model: OnnxModel; calls: Map<string, number>; w: Float32Array; b: Float32Array } {
  const calls = new Map<string, number>();
  const w = Float32Array.of(1, 2, 3, 4, 5, 6);
  const b = Float32Array.of(-1, 0.5);
  const g = new GraphBuilder('tiny');
  const counted = (name: string, data: Float32Array) => () => {
    calls.set(name, (calls.get(name) ?? 0) + 1);
    return data;
  };
  const x = g.input('x', ['batch', 3]);
  const wi = g.weight('fc.weight', [2, 3], counted('fc.weight', w));
  const bi = g.weight('fc.bias', [2], counted('fc.bias', b));
  const y = g.op('Gemm', [x, wi, bi], { transB: 1 }, 'fc');
  g.output('y', g.op('Reshape', [y, g.int64([0, -1])]), ['batch', 2]);
  return { model: { graph: g, opset: DEFAULT_OPSET, metadata: { architecture: 'tiny' } }, calls, w, b };
}

describe('ONNX serialisation', () => {
  it('decodes (onnx-proto) to the graph that was built: header, nodes, typed inputs/outputs, raw initializers, metadata', () => {
    const { model, w, b } = tinyModel();
    const { model: m, graph: g } = decodeModel(modelBytes(model));
    expect(Number(m.irVersion)).toBe(IR_VERSION);
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    expect(m.producerName).toBe('deitjs');
    expect(m.metadataProps.map((p) => [p.key, p.value])).toEqual([['architecture', 'tiny']]);
    expect(g.name).toBe('tiny');
    expect(g.node.map((n) => n.opType)).toEqual(['Gemm', 'Reshape', 'Identity']);
    expect(g.node[0]!.attribute!.map((a) => [a.name, a.type, Number(a.i)])).toEqual([['transB', onnx.AttributeProto.AttributeType.INT, 1]]);
    const dims = (v: OnnxTypes.IValueInfoProto) => v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    expect(g.input.map((v) => [v.name, dims(v)])).toEqual([['x', ['batch', 3]]]);
    expect(g.output.map((v) => [v.name, dims(v)])).toEqual([['y', ['batch', 2]]]);
    const inits = new Map(g.initializer.map((t) => [t.name, t]));
    expect([...inits.keys()]).toEqual(['fc.weight', 'fc.bias', 'const/1']);
    const f32 = (t: OnnxTypes.ITensorProto) => new Float32Array(Uint8Array.from(t.rawData!).buffer);
    expect(inits.get('fc.weight')!.dims!.map(Number)).toEqual([2, 3]);
    expect(f32(inits.get('fc.weight')!)).toEqual(w);
    expect(f32(inits.get('fc.bias')!)).toEqual(b);
    const shape = inits.get('const/1')!;
    expect(shape.dataType).toBe(onnx.TensorProto.DataType.INT64);
    expect([...new BigInt64Array(Uint8Array.from(shape.rawData!).buffer)]).toEqual([0n, -1n]);
  });

  it('produces each initializer only when its bytes are due, once, and the file equals the in-memory bytes', () => {
    const { model, calls } = tinyModel();
    const it = modelChunks(model);
    it.next();
    expect(calls.size).toBe(0);
    const rest = [...it];
    expect(rest.length).toBeGreaterThan(4);
    expect([...calls.values()]).toEqual([1, 1]);
    const file = join(dir, 'tiny.onnx');
    writeModel(file, tinyModel().model);
    expect(new Uint8Array(readFileSync(file))).toEqual(modelBytes(tinyModel().model));
    expect(readdirSync(dir)).toEqual(['tiny.onnx']);
  });

  it('refuses a model over protobuf 2 GiB before producing any weight or writing a file', () => {
    const g = new GraphBuilder('huge');
    let produced = false;
    g.weight('w', [2 ** 29 + 16], () => {
      produced = true;
      return new Float32Array(0);
    });
    const file = join(dir, 'huge.onnx');
    expect(() => writeModel(file, { graph: g, opset: 17, metadata: {} })).toThrow(/2 GiB/);
    expect(produced).toBe(false);
    expect(readdirSync(dir)).not.toContain('huge.onnx');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('names an initializer whose data does not fit its shape', () => {
    const g = new GraphBuilder('bad');
    g.weight('layer.weight', [2, 2], () => new Float32Array(3));
    expect(() => modelBytes({ graph: g, opset: 17, metadata: {} })).toThrow(DeitError);
    expect(() => modelBytes({ graph: g, opset: 17, metadata: {} })).toThrow(/layer\.weight: 3 elements for shape \[2,2\]/);
  });

  it('rejects a duplicate tensor name', () => {
    const g = new GraphBuilder('dup');
    g.weight('a', [1], () => new Float32Array(1));
    expect(() => g.weight('a', [1], () => new Float32Array(1))).toThrow(/duplicate tensor name a/);
  });
});
