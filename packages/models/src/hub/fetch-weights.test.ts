// The environment-neutral path of createModel({ pretrained }) (what a browser runs): no file cache installed, the
// weights fetched into memory with core's loadSafetensors. This file never imports pretrained-node.ts.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, initBackend, tf } from '@deitjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel } from '../registry.js';
import { type TestHub, fakeCommit, startTestHub } from '../test/hub-server.js';
import type { DownloadProgress } from './transfer.js';

const fixturePath = (name: string): string => fileURLToPath(new URL(`../../../../fixtures/${name}`, import.meta.url));

describe('createModel({ pretrained }) without the Node file cache', () => {
  let hub: TestHub;
  beforeAll(async () => {
    await initBackend('cpu');
    hub = await startTestHub(
      { 'test/deit-micro': { commit: fakeCommit('m'), files: { 'model.safetensors': { body: readFileSync(fixturePath('deit_micro_patch4_32.safetensors')) } } } },
    );
  });
  afterAll(() => hub?.close());

  it('fetches model.safetensors into memory and gives the logits of the file, with progress', async () => {
    const seen: DownloadProgress[] = [];
    const fetched = await createModel('deit_micro_patch4_32', { pretrained: 'hf-hub:test/deit-micro', download: { endpoint: hub.endpoint, onProgress: (p) => seen.push(p) } });
    const direct = createModel('deit_micro_patch4_32', { weights: fixturePath('deit_micro_patch4_32.safetensors') });
    const x = tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
    const [a, b] = [fetched, direct].map((m) => tf.tidy(() => (m.apply(x, { training: false }) as tf.Tensor).dataSync()));
    expect(a).toEqual(b);
    expect(seen.at(-1)).toMatchObject({ file: 'model.safetensors', loaded: 435296, total: 435296 });
    expect(hub.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /test/deit-micro/resolve/main/model.safetensors']);
    tf.dispose(x);
    fetched.dispose();
    direct.dispose();
  });

  it('refuses a .pth URL (no unpickling outside Node)', async () => {
    await expect(createModel('resnet50', { pretrained: 'https://download.pytorch.org/models/resnet50-0676ba61.pth' })).rejects.toBeInstanceOf(ConfigError);
  });
});
