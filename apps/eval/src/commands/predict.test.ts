import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Classifier,
  IMAGENET_NORMALIZATION,
  type Normalization,
  Rng,
  type StateDict,
  initBackend,
  maxAbsDiff,
  readSafetensors,
  readSafetensorsHeader,
  relL2Error,
  tf,
  toFloat32,
  writeSafetensors,
} from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { createTransform, decodeImage } from '@deitjs/data';
import { createModel } from '@deitjs/models';
import { createConvNet, teacherArchitecture } from '@deitjs/teachers';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { captureIO } from '../test/io.js';
import type { PredictImagesReport, PredictReport } from './predict.js';

const fixtures = fileURLToPath(new URL('../../../../fixtures/', import.meta.url));
const fx = (name: string) => join(fixtures, name);
const manifest = JSON.parse(readFileSync(fx('MANIFEST.json'), 'utf8')) as { fixtures: { model: string; outputs?: Record<string, { suggested_atol: number }> }[] };
const atolOf = (model: string, output: string): number => manifest.fixtures.find((f) => f.model === model)!.outputs![output]!.suggested_atol;

const dir = mkdtempSync(join(tmpdir(), 'deit-eval-predict-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function predict(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO();
  const code = await main(['predict', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

function expectClose(label: string, got: StateDict, name: string, io: StateDict, ioName: string, atol: number): void {
  const g = toFloat32(got.get(name)!);
  const w = toFloat32(io.get(ioName)!);
  const rel = relL2Error(g, w);
  const mad = maxAbsDiff(g, w);
  console.log(`predict ${label} ${name} vs ${ioName}: rel L2 ${rel.toExponential(2)}, max abs ${mad.toExponential(2)} (atol ${atol})`);
  expect(rel).toBeLessThanOrEqual(1e-4);
  expect(mad).toBeLessThanOrEqual(atol);
}

describeOnBackends('deit-eval predict', (backend) => {
  it('writes logits, logits_cls and logits_dist of a distilled model matching timm', async () => {
    const out = join(dir, `distilled-${backend}.safetensors`);
    const m = 'deit_micro_distilled_patch4_32';
    const r = await predict(['--backend', backend, '--model', m, '--weights', fx(`${m}.safetensors`), '--input', fx(`${m}.io.safetensors`), '--output', out, '--batch-size', '3']);
    expect(r.err).toBe(`deit-eval: backend ${backend}\n`);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/logits \[4, 10\], logits_cls \[4, 10\], logits_dist \[4, 10\]/);
    const got = readSafetensors(out);
    expect([...got.keys()].sort()).toEqual(['logits', 'logits_cls', 'logits_dist']);
    const io = readSafetensors(fx(`${m}.io.safetensors`));
    expectClose(backend, got, 'logits', io, 'logits', atolOf(m, 'logits'));
    expectClose(backend, got, 'logits_cls', io, 'logits_cls_eval', atolOf(m, 'logits_cls_eval'));
    expectClose(backend, got, 'logits_dist', io, 'logits_dist_eval', atolOf(m, 'logits_dist_eval'));
  });

  it('gives the same logits from the {model: ...} .pth as from the .safetensors', async () => {
    const m = 'deit_micro_distilled_patch4_32';
    const a = join(dir, `st-${backend}.safetensors`);
    const b = join(dir, `pth-${backend}.safetensors`);
    for (const [w, o] of [[`${m}.safetensors`, a], [`${m}.pth`, b]] as const) {
      const r = await predict(['--backend', backend, '--model', m, '--weights', fx(w), '--input', fx(`${m}.io.safetensors`), '--output', o]);
      expect(r.code, r.err).toBe(0);
    }
    const ra = readSafetensors(a);
    const rb = readSafetensors(b);
    for (const k of ['logits', 'logits_cls', 'logits_dist']) expect(maxAbsDiff(toFloat32(ra.get(k)!), toFloat32(rb.get(k)!)), k).toBe(0);
  });

  it('runs the 32-px checkpoint at 48 px with --img-size (pos_embed resampled the timm way)', async () => {
    const out = join(dir, `at48-${backend}.safetensors`);
    const r = await predict([
      '--backend', backend, '--model', 'deit_micro_distilled_patch4_32', '--weights', fx('deit_micro_distilled_patch4_32.pth'),
      '--input', fx('deit_micro_distilled_patch4_32_at48.io.safetensors'), '--output', out, '--img-size', '48',
    ]);
    expect(r.code, r.err).toBe(0);
    const io = readSafetensors(fx('deit_micro_distilled_patch4_32_at48.io.safetensors'));
    const m = 'deit_micro_distilled_patch4_32_at48';
    expectClose(`${backend} at48`, readSafetensors(out), 'logits', io, 'logits', atolOf(m, 'logits'));
    expectClose(`${backend} at48`, readSafetensors(out), 'logits_dist', io, 'logits_dist_eval', atolOf(m, 'logits_dist_eval'));
  });
});

describe('deit-eval predict (wasm): plain models, options and errors', () => {
  it('writes only logits for a plain model, and a JSON report with --json', async () => {
    const out = join(dir, 'plain.safetensors');
    const m = 'deit_micro_patch4_32';
    const r = await predict(['--backend', 'wasm', '--model', m, '--weights', fx(`${m}.safetensors`), '--input', fx(`${m}.io.safetensors`), '--output', out, '--json']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as PredictReport;
    expect(report).toMatchObject({ output: out, model: m, tensors: { logits: [2, 10] } });
    const got = readSafetensors(out);
    expect([...got.keys()]).toEqual(['logits']);
    expect(readSafetensorsHeader(out).metadata).toMatchObject({ model: m });
    expectClose('plain', got, 'logits', readSafetensors(fx(`${m}.io.safetensors`)), 'logits', atolOf(m, 'logits'));
  });

  it('re-initialises the heads with a warning for --num-classes other than the checkpoint', async () => {
    const out = join(dir, 'five.safetensors');
    const m = 'deit_micro_distilled_patch4_32';
    const r = await predict(['--backend', 'wasm', '--model', m, '--weights', fx(`${m}.safetensors`), '--input', fx(`${m}.io.safetensors`), '--output', out, '--num-classes', '5']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/warning: .*deit_micro_distilled_patch4_32\.safetensors: the checkpoint classifies 10 classes, the model 5/);
    expect(readSafetensors(out).get('logits')!.shape).toEqual([4, 5]);
  });

  it('fails with exit code 2 and one line naming the flag, file or tensor at fault, writing nothing', async () => {
    const m = 'deit_micro_distilled_patch4_32';
    const out = join(dir, 'never.safetensors');
    const base = ['--backend', 'wasm', '--weights', fx(`${m}.safetensors`), '--output', out];
    const cases: Array<[string[], RegExp]> = [
      [[...base, '--input', fx(`${m}.io.safetensors`)], /--run: or --model NAME --weights FILE is required/],
      [[...base, '--model', 'deit_giant', '--input', fx(`${m}.io.safetensors`)], /--model: unknown model "deit_giant"/],
      [[...base, '--model', m], /--input: is required/],
      [[...base, '--model', m, '--input', fx(`${m}.safetensors`)], /\[inputs\].*has no tensor named 'inputs'/],
      [[...base, '--model', m, '--input', fx('deit_micro_distilled_patch4_32_at48.io.safetensors')], /inputs: .*expected NCHW \[batch, 3, 32, 32\], got \[2, 3, 48, 48\]/],
      [[...base, '--model', m, '--input', fx(`${m}.io.safetensors`), '--batch-size', '0'], /--batch-size: must be a positive integer/],
      [['--backend', 'wasm', '--model', m, '--weights', fx('deit_micro_patch4_32.safetensors'), '--input', fx(`${m}.io.safetensors`), '--output', out], /deit_micro_patch4_32\.safetensors does not match the model: missing keys \(3\): dist_token, head_dist\.weight, head_dist\.bias/],
    ];
    for (const [args, message] of cases) {
      const r = await predict(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.trim().split('\n').pop()).toMatch(message);
    }
    expect(readdirSync(dir).filter((f) => f.startsWith('never') || f.includes('.tmp'))).toEqual([]);
  });
});

describe('deit-eval predict: CNN teachers as --model', () => {
  it('runs a registered teacher (resnet_mnist) from its safetensors weights, eval mode', async () => {
    const { createConvNet } = await import('@deitjs/teachers');
    const { initBackend, nchwToNhwc, tf, writeSafetensors, Rng } = await import('@deitjs/core');
    await initBackend('wasm');
    const net = createConvNet('resnet_mnist', { seed: 3 });
    const weights = join(dir, 'resnet_mnist.safetensors');
    writeSafetensors(weights, net.stateDict());
    const px = new Rng(5).uniformArray(2 * 3 * 32 * 32, -1, 1);
    const input = join(dir, 'digits.safetensors');
    writeSafetensors(input, new Map([['inputs', { dtype: 'F32' as const, shape: [2, 3, 32, 32], data: px }]]));
    const out = join(dir, 'teacher-logits.safetensors');
    const r = await predict(['--backend', 'wasm', '--model', 'resnet_mnist', '--weights', weights, '--input', input, '--output', out]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/logits \[2, 10\] \(resnet_mnist, eval mode\)/);
    const x = tf.tensor4d(nchwToNhwc(px, [2, 3, 32, 32]).data, [2, 32, 32, 3]);
    const want = net.apply(x, { training: false });
    const got = toFloat32(readSafetensors(out).get('logits')!);
    expect(maxAbsDiff(got, want.dataSync())).toBeLessThan(1e-5);
    tf.dispose([x, want]);
    net.dispose();
  });
});

// --- the image path: `predict --images` ---

const DISTILLED = 'deit_micro_distilled_patch4_32';
const imgDir = mkdtempSync(join(tmpdir(), 'deit-eval-predict-images-'));
afterAll(() => rmSync(imgDir, { recursive: true, force: true }));
const img = (name: string) => join(imgDir, name);

/** Small test images of different sizes and formats: a colour PNG, a noisy JPEG, a grey PNG. */
beforeAll(async () => {
  const gradient = new Uint8Array(40 * 48 * 3);
  for (let y = 0; y < 48; y++) {
    for (let x = 0; x < 40; x++) gradient.set([(x * 6) % 256, (y * 5) % 256, ((x + y) * 3 + 40) % 256], (y * 40 + x) * 3);
  }
  await sharp(gradient, { raw: { width: 40, height: 48, channels: 3 } }).png().toFile(img('gradient.png'));
  const rng = new Rng(11);
  const noise = Uint8Array.from({ length: 50 * 30 * 3 }, () => rng.int(0, 256));
  await sharp(noise, { raw: { width: 50, height: 30, channels: 3 } }).jpeg({ quality: 90 }).toFile(img('noise.jpg'));
  const grey = Uint8Array.from({ length: 33 * 33 }, (_, i) => ((i % 33) * 7 + Math.trunc(i / 33) * 3) % 256);
  await sharp(grey, { raw: { width: 33, height: 33, channels: 1 } }).png().toFile(img('grey.png'));
  writeFileSync(img('corrupt.png'), Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('not really a png')]));
  writeFileSync(img('labels.txt'), 'zero\none\ntwo\nthree\nfour\n\nfive\nsix\nseven\neight\nnine\n\n');
  writeFileSync(img('labels.json'), JSON.stringify(['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']));
  writeFileSync(img('nine.txt'), 'a\nb\nc\nd\ne\nf\ng\nh\ni\n');
  writeFileSync(img('bad.json'), '["a", "b",');
});

interface Expected {
  index: number;
  probability: number;
}

/**
 * The top 5 of each image computed here, without the command: decode + eval transform of @deitjs/data,
 * one image at a time through model.apply (eval mode), softmax in float64.
 */
async function expectedTop5(model: Classifier, files: string[], size: number, cropPct: number, normalization: Normalization): Promise<Expected[][]> {
  const transform = createTransform({ kind: 'eval', size, cropPct, normalization });
  const result: Expected[][] = [];
  for (const file of files) {
    const pixels = transform(await decodeImage(file), new Rng(0)).data;
    const x = tf.tensor4d(pixels, [1, size, size, 3]);
    const y = model.apply(x, { training: false }) as tf.Tensor;
    const logits = Array.from(y.dataSync());
    tf.dispose([x, y]);
    const max = Math.max(...logits);
    const exps = logits.map((l) => Math.exp(l - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    const probs = exps.map((e) => e / sum);
    const order = probs.map((p, i) => ({ index: i, probability: p })).sort((a, b) => b.probability - a.probability);
    result.push(order.slice(0, 5));
  }
  return result;
}

function checkTop5(label: string, report: PredictImagesReport, files: string[], want: Expected[][], labels?: string[]): void {
  expect(report.images.map((i) => i.file)).toEqual(files);
  let worst = 0;
  for (const [n, image] of report.images.entries()) {
    expect(image.top.map((c) => c.rank)).toEqual([1, 2, 3, 4, 5]);
    expect(image.top.map((c) => c.index), image.file).toEqual(want[n]!.map((c) => c.index));
    if (labels) expect(image.top.map((c) => c.label)).toEqual(want[n]!.map((c) => labels[c.index]));
    else expect(image.top.every((c) => c.label === undefined)).toBe(true);
    for (const [r, c] of image.top.entries()) worst = Math.max(worst, Math.abs(c.probability - want[n]![r]!.probability));
  }
  console.log(`predict --images ${label}: max |probability − independent float64 softmax| ${worst.toExponential(2)} (tol 1e-5)`);
  expect(worst).toBeLessThanOrEqual(1e-5);
}

/** The rows printed under each file name: [rank, class, (label,) prob %]. */
function printedRows(out: string, file: string): string[][] {
  const lines = out.split('\n');
  const at = lines.indexOf(file);
  expect(at, `${file} in\n${out}`).toBeGreaterThanOrEqual(0);
  expect(lines[at + 1]!.trim().split(/\s{2,}/)).toContain('prob %');
  return lines.slice(at + 2, at + 7).map((l) => l.trim().split(/\s+/));
}

describeOnBackends('deit-eval predict --images', (backend) => {
  it('prints the top 5 of PNG, JPEG and grey images: the softmax of the eval-mode model on the eval-transformed pixels', async () => {
    const files = [img('gradient.png'), img('noise.jpg'), img('grey.png')];
    const weights = fx(`${DISTILLED}.safetensors`);
    const model = createModel(DISTILLED, { weights: readSafetensors(weights) });
    const want = await expectedTop5(model, files, 32, 0.875, IMAGENET_NORMALIZATION);
    model.dispose();
    // The images should not all agree, or a command ignoring its input would pass.
    expect(new Set(want.map((w) => w[0]!.index)).size + new Set(want.map((w) => w[1]!.index)).size).toBeGreaterThan(2);

    const before = tf.memory().numTensors;
    const json = await predict(['--backend', backend, '--model', DISTILLED, '--weights', weights, '--images', ...files, '--json']);
    expect(json.code, json.err).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    const report = JSON.parse(json.out) as PredictImagesReport;
    expect(report).toMatchObject({ model: DISTILLED, weights, imgSize: 32, cropPct: 0.875, numClasses: 10 });
    expect(report.images.map((i) => [i.width, i.height])).toEqual([[40, 48], [50, 30], [33, 33]]);
    checkTop5(`${backend} json`, report, files, want);

    const text = await predict(['--backend', backend, '--model', DISTILLED, '--weights', weights, '--images', ...files, '--labels', img('labels.txt')]);
    expect(text.code, text.err).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    const names = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
    for (const [n, file] of files.entries()) {
      const rows = printedRows(text.out, file);
      expect(rows.map((r) => r.slice(0, 3))).toEqual(want[n]!.map((c, r) => [String(r + 1), String(c.index), names[c.index]]));
      for (const [r, row] of rows.entries()) expect(Math.abs(Number(row[3]) - 100 * want[n]![r]!.probability)).toBeLessThanOrEqual(0.005 + 1e-3);
    }
    expect(text.out).toMatch(/deit_micro_distilled_patch4_32, eval mode, 32 px \(crop 0\.875\), 3 images\n$/);
  });
});

describe('deit-eval predict --images (wasm): options', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('takes repeated --images and positionals, --crop-pct, batches of --batch-size and JSON labels', async () => {
    const weights = fx(`${DISTILLED}.pth`);
    const files = [img('noise.jpg'), img('grey.png'), img('gradient.png')];
    const model = createModel(DISTILLED, { weights: readSafetensors(fx(`${DISTILLED}.safetensors`)) });
    const want = await expectedTop5(model, files, 32, 1, IMAGENET_NORMALIZATION);
    const wantDefaultCrop = await expectedTop5(model, files, 32, 0.875, IMAGENET_NORMALIZATION);
    model.dispose();
    // Otherwise the crop fraction could be ignored unnoticed.
    expect(want.some((w, n) => Math.abs(w[0]!.probability - wantDefaultCrop[n]![0]!.probability) > 1e-4)).toBe(true);
    const names = JSON.parse(readFileSync(img('labels.json'), 'utf8')) as string[];
    const before = tf.memory().numTensors;
    const r = await predict([
      '--backend', 'wasm', '--model', DISTILLED, '--weights', weights, '--images', files[0]!, '--images', files[1]!, files[2]!,
      '--crop-pct', '1', '--batch-size', '2', '--labels', img('labels.json'), '--json',
    ]);
    expect(r.code, r.err).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    const report = JSON.parse(r.out) as PredictImagesReport;
    expect(report.cropPct).toBe(1);
    checkTop5('crop 1, batches of 2, JSON labels', report, files, want, names);
  });

  it('runs a CNN teacher at its architecture input size and normalisation', async () => {
    const net = createConvNet('resnet_mnist', { seed: 4 });
    const weights = join(imgDir, 'resnet_mnist.safetensors');
    writeSafetensors(weights, net.stateDict());
    const arch = teacherArchitecture('resnet_mnist');
    const files = [img('gradient.png'), img('noise.jpg')];
    const want = await expectedTop5(net, files, arch.imageSize, 0.875, arch.normalization);
    net.dispose();
    const r = await predict(['--backend', 'wasm', '--model', 'resnet_mnist', '--weights', weights, '--images', ...files, '--json']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as PredictImagesReport;
    expect(report.imgSize).toBe(arch.imageSize);
    checkTop5('resnet_mnist teacher', report, files, want);
  });

  it('fails with exit code 2 and one line naming the file or flag at fault, leaving no tensors', async () => {
    const base = ['--backend', 'wasm', '--model', DISTILLED, '--weights', fx(`${DISTILLED}.safetensors`)];
    const good = img('gradient.png');
    const cases: Array<[string[], RegExp]> = [
      [[...base, '--images', good, img('corrupt.png')], /^deit-eval: \S*corrupt\.png: cannot decode image: /],
      [[...base, '--images', img('missing.jpg')], /^deit-eval: \S*missing\.jpg: cannot decode image: /],
      [[...base, '--images', good, '--input', fx(`${DISTILLED}.io.safetensors`)], /^deit-eval: --images: cannot be combined with --input/],
      [[...base, '--images', good, '--output', join(imgDir, 'never.safetensors')], /^deit-eval: --images: cannot be combined with --output/],
      [[...base, '--images', good, '--labels', img('nine.txt')], /^deit-eval: --labels: \S*nine\.txt has 9 class names, the model classifies 10 classes$/],
      [[...base, '--images', good, '--labels', img('bad.json')], /^deit-eval: --labels: \S*bad\.json: invalid JSON/],
      [[...base, '--images', good, '--labels', img('absent.txt')], /^deit-eval: --labels: \S*absent\.txt: cannot read \(ENOENT\)/],
      [[...base, '--images', good, '--crop-pct', '0'], /^deit-eval: --crop-pct: must be a number in \(0, 1\], got "0"/],
      [[...base, '--images', good, '--crop-pct', '1.5'], /^deit-eval: --crop-pct: must be a number in \(0, 1\], got "1\.5"/],
      [[...base, '--images', ''], /^deit-eval: --images: needs a file path/],
      [['--backend', 'wasm', '--model', DISTILLED, '--images', good], /^deit-eval: --weights: is required/],
      [[...base, '--labels', img('labels.txt'), '--input', fx(`${DISTILLED}.io.safetensors`), '--output', join(imgDir, 'never.safetensors')], /^deit-eval: --labels: only applies with --images/],
      [[...base, good, '--input', fx(`${DISTILLED}.io.safetensors`), '--output', join(imgDir, 'never.safetensors')], /^deit-eval: predict: takes no positional arguments without --images/],
    ];
    const before = tf.memory().numTensors;
    for (const [args, message] of cases) {
      const r = await predict(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.out, args.join(' ')).toBe('');
      const errLines = r.err.trim().split('\n').filter((l) => !l.startsWith('deit-eval: backend '));
      expect(errLines, args.join(' ')).toHaveLength(1);
      expect(errLines[0], args.join(' ')).toMatch(message);
      expect(tf.memory().numTensors, args.join(' ')).toBe(before);
    }
    expect(readdirSync(imgDir).filter((f) => f.startsWith('never'))).toEqual([]);
  });
});

// The five timm/torchvision teacher fixtures end to end through the CLI: checkpoint (safetensors, zip .pth, legacy .pth) →
// registered tiny architecture → NCHW inputs → logits, against PyTorch's.
const TEACHER_FIXTURES: Array<[fixture: string, model: string, weights: string[], extra?: string[]]> = [
  ['timm_resnet_basic_tiny', 'resnet_basic_tiny', ['timm_resnet_basic_tiny.safetensors']],
  // The torchvision fixtures were made at 32 px.
  ['tv_resnet_basic_tiny', 'resnet_basic_tiny', ['tv_resnet_basic_tiny.safetensors'], ['--img-size', '32']],
  [
    'timm_resnet_bottleneck_tiny',
    'resnet_bottleneck_tiny',
    ['timm_resnet_bottleneck_tiny.safetensors', 'timm_resnet_bottleneck_tiny.pth', 'timm_resnet_bottleneck_tiny.legacy.pth'],
  ],
  ['timm_regnety_tiny', 'regnety_tiny', ['timm_regnety_tiny.safetensors']],
  ['tv_regnet_y_tiny', 'regnety_tiny', ['tv_regnet_y_tiny.safetensors'], ['--img-size', '32']],
];

describeOnBackends('deit-eval predict: the timm and torchvision teacher fixtures', (backend) => {
  for (const [fixture, model, files, extra = []] of TEACHER_FIXTURES) {
    it(`${fixture} (${model}) matches PyTorch's logits from ${files.map((f) => f.replace(/^.*?\./, '.')).join(', ')}`, async () => {
      const want = toFloat32(readSafetensors(fx(`${fixture}.io.safetensors`)).get('logits')!);
      for (const w of files) {
        const out = join(dir, `${fixture}-${backend}-${w}.out.safetensors`);
        const r = await predict(['--backend', backend, '--model', model, '--weights', fx(w), '--input', fx(`${fixture}.io.safetensors`), '--output', out, ...extra]);
        expect(r.code, r.err).toBe(0);
        const got = toFloat32(readSafetensors(out).get('logits')!);
        const rel = relL2Error(got, want);
        const mad = maxAbsDiff(got, want);
        console.log(`${backend} predict ${w}: logits rel L2 ${rel.toExponential(2)}, max abs ${mad.toExponential(2)} (atol ${atolOf(fixture, 'logits')})`);
        expect(rel).toBeLessThanOrEqual(1e-4);
        expect(mad).toBeLessThanOrEqual(atolOf(fixture, 'logits'));
      }
    });
  }
});
