import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { initBackend, loadSafetensors, tf } from '@deitjs/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleForBrowser } from '../../../scripts/check-browser-bundles.mjs';
import * as browser from './browser.js';
import * as node from './index.js';

const fixture = fileURLToPath(new URL('../../../fixtures/deit_micro_patch4_32.safetensors', import.meta.url));

describe('browser entry', () => {
  beforeAll(() => initBackend('cpu'));

  it('bundles for the browser (esbuild, platform browser) with no Node built-in in its graph', async () => {
    const { inputs } = await bundleForBrowser('models');
    expect(inputs.some((f) => f.startsWith('packages/models/src/'))).toBe(true);
    expect(inputs.filter((f) => f.startsWith('node:') || f.endsWith('-node.ts'))).toEqual([]);
  });

  it("exports a subset of Node's entry, each the same binding", () => {
    for (const [name, value] of Object.entries(browser)) expect((node as Record<string, unknown>)[name], name).toBe(value);
  });

  it('loads weights from a Blob as from the file: the same logits', async () => {
    const fromFile = browser.createModel('deit_micro_patch4_32', { weights: fixture });
    const fromBlob = browser.createModel('deit_micro_patch4_32');
    browser.loadWeights(fromBlob, await loadSafetensors(new Blob([readFileSync(fixture)])), { source: 'blob' });
    const x = tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 11) as tf.Tensor4D;
    const [a, b] = [fromFile.apply(x, { training: false }), fromBlob.apply(x, { training: false })] as tf.Tensor[];
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    tf.dispose([x, a, b]);
  });
});
