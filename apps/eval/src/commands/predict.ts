import { readFileSync, statSync } from 'node:fs';
import {
  CheckpointError,
  ConfigError,
  type DistilledLogits,
  type HostTensor,
  ShapeError,
  type StateDict,
  readSafetensors,
  tf,
  toFloat32,
  writeSafetensors,
} from '@deitjs/core';
import { decodeImage } from '@deitjs/data';
import { type ModelChoice, imagePreprocessor } from '@deitjs/recipes';
import type { CliIO } from '../cli-io.js';
import type { CommandArgs, Command } from '../command.js';
import { ENGINE_HELP, loadEngineModel } from '../engine.js';
import { intFlag, stringFlag } from '../flags.js';
import { modelChoiceFromArgs } from '../model-args.js';
import { formatTable } from '../table.js';

/** The `predict --json` document of the tensor path (`--input`/`--output`). */
export interface PredictReport {
  /** Where the model ran. */
  engine: 'tfjs' | 'onnx';
  output: string;
  model: string;
  weights: string;
  /** Written tensors: name → shape. */
  tensors: Record<string, number[]>;
}

/** One of an image's most probable classes. */
export interface PredictedClass {
  /** 1 for the most probable class. */
  rank: number;
  /** Class index (the logit's position). */
  index: number;
  /** The class name from `--labels`, when given. */
  label?: string;
  /** Softmax probability, 0–1. */
  probability: number;
}

/** The `predict --images --json` document. */
export interface PredictImagesReport {
  model: string;
  weights: string;
  /** The run directory, with `--run`. */
  run: string | null;
  /** Side of the square model input the images were resized and cropped to. */
  imgSize: number;
  /** Eval crop fraction: shorter side → imgSize / cropPct, then a centre crop (1: resized only). */
  cropPct: number;
  /** How each image was brought to the model's input (e.g. `grey 28 px digit, zero-padded 2 px, 32 px`). */
  preprocessing: string;
  numClasses: number;
  /** In the order the files were given (`--images` values first, then positional paths). */
  images: { file: string; width: number; height: number; top: PredictedClass[] }[];
}

/** Classes printed per image. */
const TOP_K = 5;

/** `--crop-pct P`: the eval crop fraction in (0, 1], or undefined when absent. */
export function cropPctFlag(args: CommandArgs): number | undefined {
  const v = stringFlag(args, 'crop-pct');
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || !(x > 0 && x <= 1)) throw new ConfigError('--crop-pct', `must be a number in (0, 1], got "${v}"`);
  return x;
}

/** One line describing a model's image preprocessing, for the summary. */
function describePreprocessing(choice: ModelChoice): string {
  const { transform: t, input } = choice.preprocessing;
  const digit = input === undefined ? '' : `grey ${input.size} px digit${input.pad > 0 ? `, zero-padded ${input.pad} px` : ''}, `;
  return `${digit}${t.size} px${t.kind === 'eval' ? ` (crop ${t.cropPct})` : ''}`;
}

/** The image paths of `--images` (repeatable) followed by the positional arguments. */
function imageFiles(args: CommandArgs): string[] {
  const flagged = args.values.images;
  const files = [...(Array.isArray(flagged) ? flagged : [flagged]), ...args.positionals];
  for (const f of files) if (typeof f !== 'string' || f === '') throw new ConfigError('--images', 'needs a file path');
  return files as string[];
}

/** Class names from a text file (one per line, blank lines ignored) or a JSON array of strings. */
export function readLabels(file: string): string[] {
  let text = '';
  let isFile: boolean;
  try {
    // A FIFO or device would block the read forever: only a regular file is read.
    isFile = statSync(file).isFile();
    if (isFile) text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('--labels', `${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (!isFile) throw new ConfigError('--labels', `${file}: is not a regular file`);
  if (text.trimStart().startsWith('[')) {
    let names: unknown;
    try {
      names = JSON.parse(text);
    } catch (err) {
      throw new ConfigError('--labels', `${file}: invalid JSON (${err instanceof Error ? err.message : String(err)})`);
    }
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) {
      throw new ConfigError('--labels', `${file}: a JSON labels file must be an array of strings`);
    }
    return names as string[];
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** The `k` largest probabilities, ties broken by the lower class index. */
function topK(probs: Float32Array, k: number, labels: string[] | undefined): PredictedClass[] {
  const order = Array.from(probs.keys()).sort((a, b) => probs[b]! - probs[a]! || a - b);
  return order.slice(0, k).map((index, i) => ({
    rank: i + 1,
    index,
    ...(labels === undefined ? {} : { label: labels[index]! }),
    probability: probs[index]!,
  }));
}

/** `predict --images`: decode, eval-transform, classify and report the top classes of each image. */
async function predictImages(args: CommandArgs, io: CliIO): Promise<number> {
  for (const tensorFlag of ['input', 'output']) {
    if (args.values[tensorFlag] !== undefined) {
      throw new ConfigError('--images', `cannot be combined with --${tensorFlag} (images are classified and printed; --input/--output map a tensor file)`);
    }
  }
  const files = imageFiles(args);
  const choice = modelChoiceFromArgs(args, 'predict', cropPctFlag(args));
  const { name, weights } = choice;
  const batchSize = intFlag(args, 'batch-size') ?? 32;
  const t = choice.preprocessing.transform;
  const cropPct = t.kind === 'eval' ? t.cropPct : 1;
  const labelsFile = stringFlag(args, 'labels');
  const labels = labelsFile === undefined ? undefined : readLabels(labelsFile);
  // The run's own preprocessing (an MNIST run: grey 28 px digits padded as its data), else the registry's
  // normalisation with deit's eval resize + crop: whatever the model was trained with.
  const preprocess = imagePreprocessor(choice.preprocessing);

  const loaded = await loadEngineModel(choice, args, io);
  try {
    const { model } = loaded;
    const k = model.numClasses;
    if (labels !== undefined && labels.length !== k) {
      throw new ConfigError('--labels', `${labelsFile} has ${labels.length} class names, the model classifies ${k} classes`);
    }
    const s = choice.imgSize;
    // A one-channel run (grey MNIST) takes one channel: its eval transform says how many.
    const c = choice.preprocessing.transform.channels ?? 3;
    const images: PredictImagesReport['images'] = [];
    for (let start = 0; start < files.length; start += batchSize) {
      const batchFiles = files.slice(start, start + batchSize);
      const pixels = new Float32Array(batchFiles.length * s * s * c);
      for (const [i, file] of batchFiles.entries()) {
        const image = await decodeImage(file);
        pixels.set(preprocess(image).data, i * s * s * c);
        images.push({ file, width: image.width, height: image.height, top: [] });
      }
      // Eval mode: a distilled DeiT answers with the mean of its two heads' logits.
      const probs = tf.tidy(() => tf.softmax(model.apply(tf.tensor4d(pixels, [batchFiles.length, s, s, c]), { training: false }) as tf.Tensor2D));
      const p = probs.dataSync() as Float32Array;
      probs.dispose();
      for (let i = 0; i < batchFiles.length; i++) images[start + i]!.top = topK(p.subarray(i * k, (i + 1) * k), Math.min(TOP_K, k), labels);
    }
    if (args.json) {
      const report: PredictImagesReport = {
        model: name,
        weights,
        run: choice.run?.dir ?? null,
        imgSize: s,
        cropPct,
        preprocessing: describePreprocessing(choice),
        numClasses: k,
        images,
      };
      io.stdout.write(`${JSON.stringify(report)}\n`);
      return 0;
    }
    const header = labels === undefined ? ['rank', 'class', 'prob %'] : ['rank', 'class', 'label', 'prob %'];
    const right = labels === undefined ? [true, true, true] : [true, true, false, true];
    const blocks = images.map(({ file, top }) => {
      const rows = top.map((c) => [String(c.rank), String(c.index), ...(c.label === undefined ? [] : [c.label]), (c.probability * 100).toFixed(2)]);
      return `${file}\n${formatTable(header, rows, right)}`;
    });
    io.stdout.write(`${blocks.join('\n')}\n${name}, eval mode${loaded.engine === 'onnx' ? ' (ONNX Runtime)' : ''}, ${describePreprocessing(choice)}, ${images.length} image${images.length === 1 ? '' : 's'}\n`);
    return 0;
  } finally {
    await loaded.dispose();
  }
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

/** `deit-eval predict`: the top classes of image files, or eval-mode logits of NCHW images from a safetensors file. */
export const predict: Command = {
  name: 'predict',
  summary: 'Classify image files (top-5), or write eval-mode logits of NCHW images from a .safetensors file',
  usage: [
    'Usage: deit-eval predict (--run DIR | --model NAME --weights FILE) --images IMG [IMG...] [--images IMG]',
    '                         [--labels FILE] [--crop-pct P] [--num-classes N] [--img-size S] [--batch-size B]',
    '                         [--engine tfjs|onnx] [--backend ...] [--json]',
    '       deit-eval predict (--run DIR | --model NAME --weights FILE) --input IN.safetensors --output OUT.safetensors',
    '                         [--num-classes N] [--img-size S] [--batch-size B] [--engine tfjs|onnx] [--backend ...] [--json]',
    '',
    'With --images: decodes each image (JPEG, PNG, WebP, ...; grey and alpha become RGB) and brings it to the',
    "model's input. With --run DIR (a deit-train run directory) that is the run's own eval preprocessing, recorded",
    'in its run.json: for an MNIST run the image is made grey (luminance), resized to 28 px and zero-padded as the',
    "run's digits (white digit on black, as MNIST), then normalised; for an ImageFolder run deit's eval resize +",
    "centre crop. With --model: the DeiT eval transform (shorter side to img-size / P, bicubic, centre crop; P",
    "defaults to 0.875; the registry's normalisation of NAME). Runs the model in eval mode (a distilled DeiT: the",
    'mean of both heads) and prints the 5 most probable classes of each image (softmax %). --images may be',
    'repeated, and every positional argument is an image too, so `--images photos/*.jpg` works. --labels names',
    'the classes: one per line (blank lines ignored) or a JSON array of strings, as many as the model has classes.',
    '--json prints one document instead.',
    '',
    'With --input/--output: reads the tensor `inputs` (NCHW float32, normalised) from IN and writes `logits`',
    '(eval mode; for a distilled model the mean of both heads) and, for distilled models, `logits_cls` and',
    '`logits_dist` to OUT (atomically).',
    '',
    "DIR/model.safetensors is the model of --run DIR, with the run's classes and input size. NAME is a registered",
    'model (deit_tiny_distilled_patch16_224, ...). FILE is a timm/deit checkpoint',
    "(.safetensors or .pth, {model: ...} unwrapped). --num-classes defaults to the checkpoint's head; --img-size",
    "(default: the model's) resamples pos_embed the timm way; --batch-size defaults to 32. NAME may also be a CNN",
    'teacher of @deitjs/teachers (resnet50, regnety_160, resnet_mnist, ...; timm or torchvision weights); its',
    "--img-size only sets the input size (default: the architecture's).",
    '',
    ...ENGINE_HELP,
  ].join('\n'),
  options: {
    run: { type: 'string' },
    model: { type: 'string' },
    weights: { type: 'string' },
    input: { type: 'string' },
    output: { type: 'string' },
    images: { type: 'string', multiple: true },
    labels: { type: 'string' },
    'crop-pct': { type: 'string' },
    'num-classes': { type: 'string' },
    'img-size': { type: 'string' },
    'batch-size': { type: 'string' },
    engine: { type: 'string' },
  },
  async run(args, io) {
    if (args.values.images !== undefined) return predictImages(args, io);
    if (args.positionals.length > 0) throw new ConfigError('predict', `takes no positional arguments without --images (got "${args.positionals[0]}")`);
    for (const imageFlag of ['labels', 'crop-pct']) {
      if (args.values[imageFlag] !== undefined) throw new ConfigError(`--${imageFlag}`, 'only applies with --images');
    }
    const choice = modelChoiceFromArgs(args, 'predict');
    const { name, weights: weightsFile } = choice;
    const inputFile = stringFlag(args, 'input', true, 'predict');
    const outputFile = stringFlag(args, 'output', true, 'predict');
    const batchSize = intFlag(args, 'batch-size') ?? 32;

    const loaded = await loadEngineModel(choice, args, io);
    const { model } = loaded;
    try {
      const inputs = readInputs(inputFile, choice.imgSize);
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
        engine: loaded.engine,
        output: outputFile,
        model: name,
        weights: weightsFile,
        tensors: Object.fromEntries(heads.map((hname) => [hname, [n, k]])),
      };
      if (args.json) io.stdout.write(`${JSON.stringify(report)}\n`);
      else io.stdout.write(`${outputFile}: ${heads.map((hname) => `${hname} [${n}, ${k}]`).join(', ')} (${name}, eval mode${loaded.engine === 'onnx' ? ', ONNX Runtime' : ''})\n`);
      return 0;
    } finally {
      await loaded.dispose();
    }
  },
};
