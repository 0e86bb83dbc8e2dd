import { ConfigError, Module, initBackend, readSafetensors } from '@deitjs/core';
import { createModel, modelConfig } from '@deitjs/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { deitGraph } from './export-deit.js';
import { type ExportableModel, onnxBytes, toOnnx } from './export.js';
import { stateDictParams } from './params.js';
import { modelBytes } from './serialize.js';
import { decodeModel, fixturePath } from './test/fixtures.js';

describe('exporting without a TF.js model, and what cannot be exported', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('a DeiT graph from its config and a state-dict file is byte-identical to the export of the loaded model', () => {
    const weights = fixturePath('deit_micro_distilled_patch4_32.safetensors');
    const model = createModel('deit_micro_distilled_patch4_32', { weights });
    const fromModel = onnxBytes(model);
    const fromFile = modelBytes(deitGraph(modelConfig('deit_micro_distilled_patch4_32'), stateDictParams(readSafetensors(weights))));
    expect(fromFile.length).toBe(fromModel.length);
    expect(Buffer.from(fromFile).equals(Buffer.from(fromModel))).toBe(true);
    model.dispose();
  });

  it('the DeiT graph: 17 ops per block, LayerNormalization with eps 1e-6, Erf-based GELU, a symbolic batch', () => {
    const model = createModel('deit_micro_patch4_32', { weights: fixturePath('deit_micro_patch4_32.safetensors') });
    const { model: m, graph } = decodeModel(onnxBytes(model));
    expect(m.opsetImport.map((o) => Number(o.version))).toEqual([17]);
    const count = (op: string) => graph.node.filter((n) => n.opType === op).length;
    // Two blocks: norm1, norm2 each, and the final norm; one Erf per MLP; one Softmax per attention.
    expect([count('LayerNormalization'), count('Erf'), count('Softmax'), count('Conv')]).toEqual([5, 2, 2, 1]);
    const eps = graph.node.filter((n) => n.opType === 'LayerNormalization').map((n) => n.attribute!.find((a) => a.name === 'epsilon')!.f!);
    for (const e of eps) expect(e).toBeCloseTo(1e-6, 12);
    const input = graph.input[0]!.type!.tensorType!.shape!.dim!;
    expect(input.map((d) => d.dimParam || Number(d.dimValue))).toEqual(['batch', 3, 32, 32]);
    expect(JSON.parse(m.metadataProps.find((p) => p.key === 'config')!.value!)).toMatchObject({ imgSize: 32, patchSize: 4, embedDim: 64 });
    model.dispose();
  });

  it('ConfigErrors name the option: opset below 17, an image size that is not a multiple of the patch, an unknown module', () => {
    const sd = stateDictParams(readSafetensors(fixturePath('deit_micro_patch4_32.safetensors')));
    const config = modelConfig('deit_micro_patch4_32');
    expect(() => deitGraph(config, sd, { opset: 16 })).toThrow(ConfigError);
    expect(() => deitGraph(config, sd, { opset: 16 })).toThrow(/^opset: LayerNormalization needs opset 17/);
    expect(() => deitGraph({ ...config, imgSize: 30 }, sd)).toThrow(/^imgSize: 30 is not a multiple of the patch size 4/);
    class Custom extends Module {}
    expect(() => toOnnx(new Custom() as unknown as ExportableModel)).toThrow(/^model: cannot export a Custom to ONNX/);
  });

  it('a state dict without a tensor the architecture needs: an error naming the tensor', () => {
    const sd = readSafetensors(fixturePath('deit_micro_patch4_32.safetensors'));
    sd.delete('blocks.1.mlp.fc2.bias');
    expect(() => modelBytes(deitGraph(modelConfig('deit_micro_patch4_32'), stateDictParams(sd, 'weights.safetensors')))).toThrow(
      /weights\.safetensors has no tensor blocks\.1\.mlp\.fc2\.bias/,
    );
  });
});
