import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CheckpointError, ConfigError, Rng, initBackend, tf } from '@deitjs/core';
import type { ConvNet } from '@deitjs/teachers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeiT } from '../deit.js';
import { createModel } from '../registry.js';
import { type TestHub, fakeCommit, startTestHub } from '../test/hub-server.js';
import { pretrainedWeights } from './pretrained-node.js';
import { pretrainedSource } from './pretrained.js';

const fixturePath = (name: string): string => fileURLToPath(new URL(`../../../../fixtures/${name}`, import.meta.url));
const fixture = (name: string): Uint8Array => readFileSync(fixturePath(name));

describe('pretrainedSource', () => {
  it("maps true and a tag to timm's Hub repositories, and checks hf-hub references and URLs", () => {
    expect(pretrainedSource('deit_tiny_patch16_224', 'fb_in1k', true)).toEqual({ kind: 'hub', repo: 'timm/deit_tiny_patch16_224.fb_in1k', revision: 'main', files: ['model.safetensors', 'pytorch_model.bin'] });
    expect(pretrainedSource('resnet50', 'a1_in1k', 'tv_in1k')).toMatchObject({ repo: 'timm/resnet50.tv_in1k' });
    expect(pretrainedSource('x', undefined, 'hf-hub:org/name@v1.0')).toMatchObject({ kind: 'hub', repo: 'org/name', revision: 'v1.0' });
    expect(pretrainedSource('x', undefined, 'https://download.pytorch.org/models/resnet50-0676ba61.pth')).toEqual({ kind: 'url', url: 'https://download.pytorch.org/models/resnet50-0676ba61.pth' });
    expect(() => pretrainedSource('deit_micro_patch4_32', undefined, true)).toThrow(/pretrained: deit_micro_patch4_32 has no published weights/);
    for (const bad of ['hf-hub:../x', 'hf-hub:org/x@../../y', 'hf-hub:', '../weights.pth', 'ftp://x/y.pth', 'Tag With Spaces']) {
      expect(() => pretrainedSource('x', 'tag', bad), bad).toThrow(ConfigError);
    }
  });
});

describe('createModel({ pretrained })', () => {
  let hub: TestHub;
  let home: string;
  const commit = fakeCommit('fixtures');
  beforeAll(async () => {
    await initBackend('cpu');
    home = mkdtempSync(join(tmpdir(), 'deitjs-pretrained-'));
    hub = await startTestHub({
      'test/deit-micro': { commit, files: { 'model.safetensors': { body: fixture('deit_micro_distilled_patch4_32.safetensors'), lfs: true } } },
      // timm's older repositories: only pytorch_model.bin
      'test/resnet-tiny': { commit, files: { 'pytorch_model.bin': { body: fixture('timm_resnet_bottleneck_tiny.pth'), lfs: true } } },
      'test/corrupt': { commit, files: { 'model.safetensors': { body: fixture('deit_micro_patch4_32.safetensors').subarray(0, 5000) } } },
    });
  });
  afterAll(async () => {
    await hub?.close();
    rmSync(home, { recursive: true, force: true });
  });
  const download = () => ({ env: { HF_HOME: home, HF_ENDPOINT: hub.endpoint } });
  const images = () => tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 7) as tf.Tensor4D;

  function logits(model: DeiT | ConvNet): Float32Array {
    const x = images();
    const y = model.apply(x, { training: false }) as tf.Tensor;
    const out = y.dataSync() as Float32Array;
    tf.dispose([x, y]);
    return out;
  }

  it('gives the same logits as loading the file directly, and again offline from the cache', async () => {
    const before = tf.memory().numTensors;
    const direct = createModel('deit_micro_distilled_patch4_32', { weights: fixturePath('deit_micro_distilled_patch4_32.safetensors') });
    const fetched = await createModel('deit_micro_distilled_patch4_32', { pretrained: 'hf-hub:test/deit-micro', download: download() });
    const want = logits(direct);
    expect(logits(fetched)).toEqual(want);
    fetched.dispose();
    const asked = hub.requests.length;
    const offline = await createModel('deit_micro_distilled_patch4_32', { pretrained: 'hf-hub:test/deit-micro', download: { ...download(), offline: true } });
    expect(logits(offline)).toEqual(want);
    expect(hub.requests.length).toBe(asked);
    direct.dispose();
    offline.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("loads a CNN (teacher) from a repository holding only pytorch_model.bin, as timm does; pretrainedWeights names the source", async () => {
    const got = await pretrainedWeights('resnet_bottleneck_tiny', 'hf-hub:test/resnet-tiny', download());
    expect(got.source).toBe('hf-hub:test/resnet-tiny@main/pytorch_model.bin');
    const fetched = await createModel('resnet_bottleneck_tiny', { pretrained: 'hf-hub:test/resnet-tiny', download: download() });
    const direct = createModel('resnet_bottleneck_tiny', { weights: fixturePath('timm_resnet_bottleneck_tiny.pth') });
    expect(logits(fetched)).toEqual(logits(direct));
    fetched.dispose();
    direct.dispose();
  });

  it("parses the download with core's readers (a corrupt file is a CheckpointError naming the cached file) and refuses weights + pretrained", async () => {
    const err = await createModel('deit_micro_patch4_32', { pretrained: 'hf-hub:test/corrupt', download: download() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as CheckpointError).file).toContain(join('models--test--corrupt', 'snapshots', commit, 'model.safetensors'));
    await expect(createModel('deit_micro_patch4_32', { pretrained: true, weights: 'x.safetensors', rng: new Rng(0) })).rejects.toThrow(/give either weights or pretrained/);
    await expect(createModel('deit_micro_patch4_32', { pretrained: true })).rejects.toThrow(/has no published weights/);
  });
});
