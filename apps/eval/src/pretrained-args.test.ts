// deit-eval with downloaded weights (--pretrained, --weights hf-hub:…) against a local Hub on 127.0.0.1 (HF_ENDPOINT).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, readSafetensors, writeSafetensors } from '@deitjs/core';
import { createModel } from '@deitjs/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, fakeCommit, startTestHub } from '../../../packages/models/src/test/hub-server.js';
import { main } from './main.js';
import { resolveRemoteWeights } from './pretrained-args.js';
import { captureIO } from './test/io.js';

const dir = mkdtempSync(join(tmpdir(), 'deit-eval-pretrained-'));
const fixture = (name: string) => fileURLToPath(new URL(`../../../fixtures/${name}`, import.meta.url));
let hub: TestHub;

beforeAll(async () => {
  await initBackend('cpu');
  // A random deit_tiny stands in for timm's deit_tiny_patch16_224.fb_in1k (what --pretrained fetches).
  const tiny = createModel('deit_tiny_patch16_224', { seed: 4 });
  writeSafetensors(join(dir, 'tiny.safetensors'), tiny.stateDict(), { format: 'pt' });
  tiny.dispose();
  const commit = fakeCommit('eval');
  hub = await startTestHub({
    'timm/deit_tiny_patch16_224.fb_in1k': { commit, files: { 'model.safetensors': { body: readFileSync(join(dir, 'tiny.safetensors')), lfs: true } } },
    'test/deit-micro': { commit, files: { 'model.safetensors': { body: readFileSync(fixture('deit_micro_distilled_patch4_32.safetensors')), lfs: true } } },
  });
});
afterAll(async () => {
  await hub?.close();
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ DEIT_BACKEND: 'cpu', HF_HOME: join(dir, 'hf'), HF_ENDPOINT: hub.endpoint });
const logits = (file: string) => Array.from(readSafetensors(file).get('logits')!.data as Float32Array);

describe('deit-eval with downloaded weights', () => {
  it('predict --weights hf-hub:… gives the logits of the file itself', async () => {
    const io = captureIO(env());
    const micro = ['predict', '--model', 'deit_micro_distilled_patch4_32', '--input', fixture('deit_micro_distilled_patch4_32.io.safetensors')];
    expect(await main([...micro, '--weights', 'hf-hub:test/deit-micro', '--output', join(dir, 'a.safetensors')], io), io.err()).toBe(0);
    expect(io.err()).toMatch(/deit-eval: downloading test\/deit-micro model\.safetensors: [\d.]+ \/ [\d.]+ MB \(100%\)/);
    expect(await main([...micro, '--weights', fixture('deit_micro_distilled_patch4_32.safetensors'), '--output', join(dir, 'b.safetensors')], captureIO(env()))).toBe(0);
    expect(logits(join(dir, 'a.safetensors'))).toEqual(logits(join(dir, 'b.safetensors')));

  });

  it('--pretrained (with --model) becomes the cached file of timm/<name>.<tag>', async () => {
    const io = captureIO(env());
    const values = await resolveRemoteWeights({ model: 'deit_tiny_patch16_224', pretrained: true, 'img-size': '224' }, io);
    expect(values).toEqual({ model: 'deit_tiny_patch16_224', 'img-size': '224', weights: expect.stringContaining(join('models--timm--deit_tiny_patch16_224.fb_in1k', 'snapshots')) });
    expect(readFileSync(values.weights as string).equals(readFileSync(join(dir, 'tiny.safetensors')))).toBe(true);
    expect(io.err()).toContain('deit-eval: downloaded hf-hub:timm/deit_tiny_patch16_224.fb_in1k@main/model.safetensors');
  });

  it('names the flag at fault (exit 2)', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['predict', '--model', 'deit_micro_patch4_32', '--pretrained', '--input', 'x', '--output', 'y'], /deit-eval: --pretrained: deit_micro_patch4_32 has no published weights/],
      [['predict', '--run', dir, '--pretrained', '--input', 'x', '--output', 'y'], /--pretrained: applies to --model NAME, not to --run/],
      [['predict', '--model', 'deit_micro_patch4_32', '--weights', 'hf-hub:../evil', '--input', 'x', '--output', 'y'], /--weights: invalid Hugging Face repository id/],
      [['predict', '--model', 'deit_micro_patch4_32', '--weights', 'hf-hub:test/none', '--input', 'x', '--output', 'y'], /test\/none@main model\.safetensors: HTTP 404: repository not found/],
    ];
    for (const [argv, message] of cases) {
      const io = captureIO(env());
      expect(await main(argv, io), argv.join(' ')).toBe(2);
      expect(io.err(), argv.join(' ')).toMatch(message);
    }
  });
});
