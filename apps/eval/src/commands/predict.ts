import {
  CheckpointError,
  ConfigError,
  type DistilledLogits,
  type HostTensor,
  ShapeError,
  type StateDict,
  loadStateDictFile,
  readSafetensors,
  tf,
  toFloat32,
  writeSafetensors,
} from '@deitjs/core';
import { createModel, listModels } from '@deitjs/models';
import { checkpointNumClasses, createConvNet, listTeachers, teacherArchitecture } from '@deitjs/teachers';
import { type CommandArgs, type Command, useBackend } from '../command.js';

/** The `predict --json` document. */
export interface PredictReport {
  output: string;
  model: string;
  weights: string;
  /** Written tensors: name → shape. */
  tensors: Record<string, number[]>;
}

function stringFlag(args: CommandArgs, name: string, required: true): string;
function stringFlag(args: CommandArgs, name: string, required: false): string | undefined;
function stringFlag(args: CommandArgs, name: string, required: boolean): string | undefined {
  const v = args.values[name];
  if (v === undefined) {
    if (required) throw new ConfigError(`--${name}`, 'is required (see deit-eval predict --help)');
    return undefined;
  }
  if (typeof v !== 'string' || v === '') throw new ConfigError(`--${name}`, 'needs a value');
  return v;
}

function intFlag(args: CommandArgs, name: string): number | undefined {
  const v = stringFlag(args, name, false);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) throw new ConfigError(`--${name}`, `must be a positive integer, got "${v}"`);
  return n;
}

/** The NCHW float `inputs` tensor of a safetensors file, checked against the model's input size. */
function readInputs(file: string, imgSize: number): HostTensor {
  const t = readSafetensors(file).get('inputs');
  if (t === undefined) throw new CheckpointError(file, "has no tensor named 'inputs' (NCHW float32 images expected)", 'inputs');
  if (!['F32', 'F16', 'BF16', 'F64'].includes(t.dtype)) throw new CheckpointError(file, `is ${t.dtype}, a float type is needed`, 'inputs');
  const [n, c, h, w] = t.shape;
  if (t.shape.length !== 4 || c !== 3 || h !== imgSize || w !== imgSize) {
    throw new ShapeError(
      'inputs',
      `${file}: expected NCHW [batch, 3, ${imgSize}, ${imgSize}], got [${t.shape.join(', ')}]${t.shape.length === 4 && h !== imgSize ? ' (set --img-size to run at another size)' : ''}`,
    );
  }
  if (n === 0) throw new ShapeError('inputs', `${file}: holds no images`);
  return t;
}

/** `deit-eval predict`: eval-mode logits of a DeiT for the images of a safetensors file. */
export const predict: Command = {
  name: 'predict',
  summary: 'Run a DeiT in eval mode on NCHW images from a .safetensors file; write its logits as .safetensors',
  usage: [
    'Usage: deit-eval predict --model NAME --weights FILE --input IN.safetensors --output OUT.safetensors',
    '                         [--num-classes N] [--img-size S] [--batch-size B] [--backend ...] [--json]',
    '',
    'Reads the tensor `inputs` (NCHW float32, normalised) from IN and writes `logits` (eval mode; for a',
    'distilled model the mean of both heads) and, for distilled models, `logits_cls` and `logits_dist` to OUT',
    '(atomically). NAME is a registered model (deit_tiny_distilled_patch16_224, ...). FILE is a timm/deit',
    'checkpoint (.safetensors or .pth, {model: ...} unwrapped). --num-classes defaults to the checkpoint\'s',
    "head; --img-size (default: the model's) resamples pos_embed the timm way; --batch-size defaults to 32.",
    'NAME may also be a CNN teacher of @deitjs/teachers (resnet50, regnety_160, resnet_mnist, ...; timm or',
    "torchvision weights); its --img-size only sets the expected input size (default: the architecture's).",
  ].join('\n'),
  options: {
    model: { type: 'string' },
    weights: { type: 'string' },
    input: { type: 'string' },
    output: { type: 'string' },
    'num-classes': { type: 'string' },
    'img-size': { type: 'string' },
    'batch-size': { type: 'string' },
  },
  async run(args, io) {
    if (args.positionals.length > 0) throw new ConfigError('predict', `takes no positional arguments (got "${args.positionals[0]}")`);
    const name = stringFlag(args, 'model', true);
    const teachers = listTeachers().map((t) => t.name);
    const isTeacher = teachers.includes(name);
    if (!listModels().includes(name) && !isTeacher) {
      throw new ConfigError('--model', `unknown model "${name}" (known: ${[...listModels(), ...teachers].join(', ')})`);
    }
    const weightsFile = stringFlag(args, 'weights', true);
    const inputFile = stringFlag(args, 'input', true);
    const outputFile = stringFlag(args, 'output', true);
    const numClassesFlag = intFlag(args, 'num-classes');
    const imgSizeFlag = intFlag(args, 'img-size');
    const batchSize = intFlag(args, 'batch-size') ?? 32;

    const weights: StateDict = loadStateDictFile(weightsFile);
    // A checkpoint fine-tuned to another class count predicts its own classes unless told otherwise.
    const numClasses = numClassesFlag ?? (isTeacher ? checkpointNumClasses(weights) : weights.get('head.weight')?.shape[0]);
    await useBackend(args, io);
    const warn = (m: string) => io.stderr.write(`deit-eval: warning: ${m}\n`);
    const model = isTeacher
      ? createConvNet(name, { weights, numClasses, source: weightsFile, warn })
      : createModel(name, { weights, numClasses, imgSize: imgSizeFlag, source: weightsFile, warn });
    try {
      const imgSize = isTeacher ? (imgSizeFlag ?? teacherArchitecture(name).imageSize) : (model as ReturnType<typeof createModel>).config.imgSize;
      const inputs = readInputs(inputFile, imgSize);
      const data = toFloat32(inputs);
      const [n, c, h, w] = inputs.shape as [number, number, number, number];
      const k = model.numClasses;
      const heads = model.distilled ? ['logits', 'logits_cls', 'logits_dist'] : ['logits'];
      const outs = heads.map(() => new Float32Array(n * k));
      for (let start = 0; start < n; start += batchSize) {
        const b = Math.min(batchSize, n - start);
        // Tensors (not their typed arrays) leave the tidy: tidy walks what it returns element by element.
        const batch = tf.tidy((): tf.Tensor[] => {
          const nchw = tf.tensor4d(data.subarray(start * c * h * w, (start + b) * c * h * w), [b, c, h, w]);
          const x = tf.transpose(nchw, [0, 2, 3, 1]) as tf.Tensor4D;
          if (!model.distilled) return [model.apply(x, { training: false }) as tf.Tensor2D];
          const { cls, dist } = model.apply(x, { training: false, returnBoth: true }) as DistilledLogits;
          // The same ops as the model's eval output: (cls + dist) / 2.
          return [tf.div(tf.add(cls, dist), 2), cls, dist];
        });
        for (const [i, t] of batch.entries()) outs[i]!.set(t.dataSync(), start * k);
        tf.dispose(batch);
      }
      const tensors: StateDict = new Map(heads.map((hname, i) => [hname, { dtype: 'F32', shape: [n, k], data: outs[i]! }]));
      writeSafetensors(outputFile, tensors, { model: name, weights: weightsFile });
      const report: PredictReport = {
        output: outputFile,
        model: name,
        weights: weightsFile,
        tensors: Object.fromEntries(heads.map((hname) => [hname, [n, k]])),
      };
      if (args.json) io.stdout.write(`${JSON.stringify(report)}\n`);
      else io.stdout.write(`${outputFile}: ${heads.map((hname) => `${hname} [${n}, ${k}]`).join(', ')} (${name}, eval mode)\n`);
      return 0;
    } finally {
      model.dispose();
    }
  },
};
