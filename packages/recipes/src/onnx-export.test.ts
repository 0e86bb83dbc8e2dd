import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IMAGENET_NORMALIZATION } from '@deitjs/core';
import { ORT_PACKAGE } from '@deitjs/onnx';
import { type RunInfo, runPreprocessing } from '@deitjs/run';
import { afterAll, describe, expect, it } from 'vitest';
import { namedModelChoice, runModelChoice } from './load-model.js';
import { isOnnxWeights, onnxCacheDir, ortPackageName } from './onnx-engine.js';
import { exportPreprocessing, runClassNames } from './onnx-export.js';

const dir = mkdtempSync(join(tmpdir(), 'recipes-onnx-'));
// runModelChoice names the run's model file; nothing here reads it.
writeFileSync(join(dir, 'model.safetensors'), '');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(data: RunInfo['data'], imgSize = 32): RunInfo {
  const normalization = { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] } as RunInfo['normalization'];
  return {
    format: 'deitjs-run/1',
    kind: 'student',
    model: 'deit_micro_patch4_32',
    numClasses: 10,
    imgSize,
    distilled: false,
    data,
    normalization,
    preprocessing: runPreprocessing(data, imgSize, normalization),
    dir,
  } as RunInfo;
}

describe('the ONNX export and engine compositions', () => {
  it("a named model exports the registry's normalisation with deit's eval crop; --crop-pct overrides it", () => {
    expect(exportPreprocessing(namedModelChoice('deit_tiny_patch16_224', 'w', '--model'))).toEqual({
      preprocessing: { cropPct: 0.875, interpolation: 'bicubic', ...IMAGENET_NORMALIZATION },
    });
    expect(exportPreprocessing(namedModelChoice('deit_tiny_patch16_224', 'w', '--model', undefined, undefined, 0.9)).preprocessing.cropPct).toBe(0.9);
  });

  it("a run exports its own statistics; an MNIST run's grey padded digits are named as what transformers.js cannot do", () => {
    const mnist = run({ data: 'mnist', dataSet: 'mnist', seed: 1, trainPerClass: 2, testPerClass: 1, pad: 2 });
    const { preprocessing, lost } = exportPreprocessing(runModelChoice(mnist));
    expect(preprocessing).toEqual({ cropPct: 1, interpolation: 'bicubic', mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
    expect(lost).toMatch(/grey 28 px digits zero-padded 2 px/);
    expect(runClassNames(mnist)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    // Data that are no longer where the run found them: no names (the exporter then warns and writes LABEL_i).
    expect(runClassNames(run({ data: join(dir, 'gone'), dataSet: 'imagefolder', seed: 0 }))).toBeUndefined();
  });

  it('the cache folder and the onnxruntime package come from the environment, with defaults', () => {
    expect(onnxCacheDir({})).toBe(join(tmpdir(), 'deitjs-onnx'));
    expect(onnxCacheDir({ DEIT_ONNX_CACHE: '/x/cache' })).toBe('/x/cache');
    expect(ortPackageName({})).toBe(ORT_PACKAGE);
    expect(ortPackageName({ DEIT_ORT_PACKAGE: 'onnxruntime-web' })).toBe('onnxruntime-web');
    expect([isOnnxWeights('m.onnx'), isOnnxWeights('M.ONNX'), isOnnxWeights(dir), isOnnxWeights(join(dir, 'w.safetensors'))]).toEqual([true, true, true, false]);
  });
});
