import { readFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, tf } from '@deitjs/core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForBrowser } from '../../../scripts/check-browser-bundles.mjs';
import * as browser from './browser.js';
import * as node from './index.js';
import { nodeFileIo } from './node/file-io.js';

describe('browser entry', () => {
  it('bundles for the browser (esbuild, platform browser) with no Node built-in in its graph', async () => {
    const { inputs } = await bundleForBrowser('teachers');
    expect(inputs.some((f) => f.startsWith('packages/teachers/src/'))).toBe(true);
    expect(inputs.filter((f) => f.startsWith('node:'))).toEqual([]);
    expect(inputs.some((f) => f.includes('tfjs-layers') || f.includes('tfjs-converter'))).toBe(false);
  });

  describe("a TF.js model.json by URL (the browser's teacherFromTfjsModel)", () => {
    let server: Server;
    let base: string;
    const dir = mkdtempSync(join(tmpdir(), 'deit-tfjs-url-'));
    let net: tfl.Sequential;
    beforeAll(async () => {
      await initBackend('cpu');
      net = tfl.sequential({
        layers: [
          tfl.layers.globalAveragePooling2d({ inputShape: [4, 4, 3] }),
          tfl.layers.dense({ units: 3, kernelInitializer: tfl.initializers.glorotNormal({ seed: 5 }), biasInitializer: 'ones' }),
        ],
      });
      await net.save(nodeFileIo(dir));
      server = createServer((req, res) => {
        try {
          const body = readFileSync(join(dir, String(req.url).replace(/^\/m\//, '')));
          res.writeHead(200);
          res.end(body);
        } catch {
          res.writeHead(404);
          res.end();
        }
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/m/`;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    });

    it('fetches model.json and its shard, and predicts as the original model; the fingerprint matches a path load', async () => {
      const teacher = await browser.teacherFromTfjsModel(`${base}model.json`);
      const fromPath = await node.teacherFromTfjsModel(join(dir, 'model.json'));
      const x = tf.randomUniform([2, 4, 4, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
      const want = net.predict(x) as tf.Tensor;
      const got = teacher.predict(x);
      expect(teacher.numClasses).toBe(3);
      expect(Array.from(await got.data())).toEqual(Array.from(await want.data()));
      expect(teacher.fingerprint()).toBe(fromPath.fingerprint());
      tf.dispose([x, want, got]);
      await expect(browser.teacherFromTfjsModel(`${base}missing.json`)).rejects.toThrow(/missing\.json/);
    });
  });
});
