import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type StateDict, maxAbsDiff, readSafetensors, readSafetensorsHeader, relL2Error, toFloat32 } from '@deitjs/core';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { captureIO } from '../test-io.js';
import type { PredictReport } from './predict.js';

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

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`deit-eval predict (${backend})`, () => {
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
}

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
      [[...base, '--input', fx(`${m}.io.safetensors`)], /--model: is required/],
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
