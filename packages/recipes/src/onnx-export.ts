import { statSync } from 'node:fs';
import { ConfigError } from '@deitjs/core';
import { createDataset, resolveDataset } from '@deitjs/data';
import { DeiT } from '@deitjs/models';
import { type ExportableModel, type Preprocessing, exportOnnx, exportTransformersJs } from '@deitjs/onnx';
import type { RunInfo } from '@deitjs/run';
import { type ModelChoice, loadModel } from './load-model.js';

/**
 * The class names of a run's data set (ImageFolder folder names, CIFAR's names, MNIST's digits), or undefined when
 * its data cannot be opened here any more (moved, another machine): run.json records where the data were, not names.
 */
export function runClassNames(run: RunInfo): string[] | undefined {
  try {
    const d = run.data;
    const resolved = resolveDataset({
      data: d.data,
      split: 'test',
      dataSet: d.dataSet,
      mnist: { trainPerClass: d.trainPerClass, testPerClass: d.testPerClass, seed: d.seed, pad: d.pad },
      imgSize: run.imgSize,
    });
    return [...createDataset(resolved.spec).classes];
  } catch {
    return undefined;
  }
}

/**
 * The eval preprocessing of a chosen model as transformers.js' image processor can do it: resize + centre crop at
 * the run's (or deit's 0.875) ratio, bicubic, the model's mean/std; a resize-only run (CIFAR, MNIST) has ratio 1.
 * `lost` says what of the run's preprocessing it cannot express (MNIST's grey, padded digits).
 */
export function exportPreprocessing(choice: ModelChoice): { preprocessing: Preprocessing; lost?: string } {
  const { transform: t, input, interpolation } = choice.preprocessing;
  const preprocessing: Preprocessing = { cropPct: t.kind === 'eval' ? t.cropPct : 1, interpolation, mean: [...t.normalization.mean], std: [...t.normalization.std] };
  if (input === undefined) return { preprocessing };
  return {
    preprocessing,
    lost: `the run's images are grey ${input.size} px digits${input.pad > 0 ? ` zero-padded ${input.pad} px` : ''}; preprocessor_config.json only resizes and normalises (feed images prepared that way)`,
  };
}

/** Options of {@link exportChoice}. */
export interface ExportChoiceOptions {
  /** Class names for `config.json`'s `id2label` (default: the run's data set's, else `LABEL_i`). */
  labels?: readonly string[];
  /** Where weight-loading notices and preprocessing caveats go. */
  warn: (message: string) => void;
  /** Progress lines (loading, writing). */
  progress?: (message: string) => void;
}

/** What {@link exportChoice} wrote. */
export interface ExportChoiceResult {
  /** `onnx` (a bare `.onnx` file) or `transformers.js` (a folder). */
  layout: 'onnx' | 'transformers.js';
  /** The `.onnx` file written. */
  onnxFile: string;
  /** Classes of the model. */
  numClasses: number;
  /** Class names written to `config.json` (transformers.js layout). */
  labels?: readonly string[];
  /** Where the labels came from. */
  labelSource?: 'given' | 'run' | 'default';
  /** The preprocessing written to `preprocessor_config.json` (transformers.js layout). */
  preprocessing?: Preprocessing;
}

/**
 * Exports a chosen model (the backend must be initialised): `output` ending in `.onnx` is a bare ONNX file (any
 * DeiT or CNN); anything else is a transformers.js folder (DeiT only) with `config.json` (`id2label`),
 * `preprocessor_config.json` (the model's eval preprocessing, {@link exportPreprocessing}) and `onnx/model.onnx`.
 */
export function exportChoice(choice: ModelChoice, output: string, options: ExportChoiceOptions): ExportChoiceResult {
  const bare = output.toLowerCase().endsWith('.onnx');
  let isDir = false;
  try {
    isDir = statSync(output).isDirectory();
  } catch {}
  if (bare && isDir) throw new ConfigError('--output', `${output} is a folder; a bare export needs a file path`);
  if (!bare && choice.kind === 'teacher') {
    throw new ConfigError('--output', `${choice.name} is a CNN: transformers.js folders are for DeiT models; give --output FILE.onnx`);
  }
  options.progress?.(`loading ${choice.name} from ${choice.weights}`);
  const loaded = loadModel(choice, options.warn);
  try {
    const model = loaded.model as ExportableModel;
    if (bare) {
      options.progress?.(`writing ${output}`);
      exportOnnx(model, output);
      return { layout: 'onnx', onnxFile: output, numClasses: model.numClasses };
    }
    if (!(model instanceof DeiT)) throw new ConfigError('--output', `${choice.name} is not a DeiT; give --output FILE.onnx`);
    const runLabels = options.labels === undefined && choice.run !== undefined ? runClassNames(choice.run) : undefined;
    const labels = options.labels ?? (runLabels?.length === model.numClasses ? runLabels : undefined);
    if (labels !== undefined && labels.length !== model.numClasses) {
      throw new ConfigError('--labels', `${labels.length} class names for a model with ${model.numClasses} classes`);
    }
    if (options.labels === undefined && choice.run !== undefined && labels === undefined) {
      options.warn(`the classes of ${choice.run.data.data} could not be read here: config.json names them LABEL_0..LABEL_${model.numClasses - 1} (give --labels FILE)`);
    }
    const { preprocessing, lost } = exportPreprocessing(choice);
    if (lost !== undefined) options.warn(lost);
    options.progress?.(`writing ${output}/onnx/model.onnx, config.json, preprocessor_config.json`);
    exportTransformersJs(model, output, { ...(labels ? { labels } : {}), preprocessing });
    return {
      layout: 'transformers.js',
      onnxFile: `${output}/onnx/model.onnx`,
      numClasses: model.numClasses,
      labels: labels ?? Array.from({ length: model.numClasses }, (_, i) => `LABEL_${i}`),
      labelSource: options.labels !== undefined ? 'given' : labels !== undefined ? 'run' : 'default',
      preprocessing,
    };
  } finally {
    loaded.model.dispose();
  }
}
