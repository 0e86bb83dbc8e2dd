// Issue 15: a page bundled with Vite that imports @deitjs/models runs a DeiT forward in headless Chromium (Debian's
// `chromium`, driven by playwright-core) and gives Node's logits, on the wasm and the cpu backend.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DistilledLogits, initBackend, nchwToNhwc, readSafetensors, relL2Error, tf, toFloat32 } from '@deitjs/core';
import { createModel } from '@deitjs/models';
import { type Browser, type Page, chromium } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PageForward, PageRequest, PageResult } from './page-api.js';
import { type StaticServer, serveStatic } from './static-server.js';

const MODEL = 'deit_micro_distilled_patch4_32';
const fixtures = fileURLToPath(new URL('../../../fixtures/', import.meta.url));
// Debian's package (.ci/run installs it when missing); CHROMIUM_PATH points elsewhere.
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// The fixture's images (NCHW, as PyTorch took them) in TF.js's NHWC, and timm's eval logits for them.
const io = readSafetensors(join(fixtures, `${MODEL}.io.safetensors`));
const inputs = io.get('inputs')!;
const nhwc = nchwToNhwc(toFloat32(inputs), inputs.shape);
const timmLogits = toFloat32(io.get('logits')!);

/** Node's forward of the same model and images on `backend`, from the built packages as the page uses them. */
async function nodeForward(backend: 'wasm' | 'cpu'): Promise<{ logits: Float32Array; cls: Float32Array; dist: Float32Array }> {
  await initBackend(backend);
  const model = createModel(MODEL, { weights: join(fixtures, `${MODEL}.safetensors`) });
  const x = tf.tensor4d(nhwc.data, nhwc.shape as [number, number, number, number]);
  const mean = model.apply(x, { training: false }) as tf.Tensor;
  const both = model.apply(x, { training: false, returnBoth: true }) as DistilledLogits;
  const out = { logits: mean.dataSync() as Float32Array, cls: both.cls.dataSync() as Float32Array, dist: both.dist.dataSync() as Float32Array };
  tf.dispose([x, mean, both.cls, both.dist]);
  model.dispose();
  return out;
}

describe('DeiT in headless Chromium (Vite bundle of @deitjs/models)', () => {
  let outDir = '';
  let server: StaticServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH`);
    outDir = mkdtempSync(join(tmpdir(), 'deitjs-browser-'));
    await build({ configFile: fileURLToPath(new URL('../vite.config.ts', import.meta.url)), build: { outDir } });
    server = await serveStatic({ '/': outDir, '/fixtures/': fixtures });
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage();
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    await page.goto(`${server.origin}/`);
    await page.waitForFunction(() => document.title === 'ready');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (outDir !== '') rmSync(outDir, { recursive: true, force: true });
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`${backend}: the page's logits match Node's (rel. L2 ≤ 1e-5) and timm's`, async () => {
      const request: PageRequest = {
        backend,
        model: MODEL,
        weightsUrl: `/fixtures/${MODEL}.safetensors`,
        images: Array.from(nhwc.data),
        shape: nhwc.shape as PageRequest['shape'],
      };
      const got: PageResult = await page.evaluate((req) => (globalThis as unknown as { deitForward: PageForward }).deitForward(req), request);
      const want = await nodeForward(backend);
      expect(got.backend).toBe(backend);
      expect(got.crossOriginIsolated).toBe(true);
      // Even on an isolated page, tfjs's threaded wasm build stays off unless asked (it breaks in minified bundles).
      if (backend === 'wasm') expect(got.reason).toMatch(/^WebAssembly with SIMD, tfjs's kernels on 1 thread \(initBackend option threads: false\)/);
      for (const key of ['logits', 'cls', 'dist'] as const) {
        const rel = relL2Error(got[key], want[key]);
        console.log(`${backend} ${key}: rel. L2 browser vs Node ${rel.toExponential(2)}`);
        expect(rel, key).toBeLessThanOrEqual(1e-5);
      }
      // Both sides really loaded the weights: timm's own logits for these images (the models package's parity bound).
      expect(relL2Error(got.logits, timmLogits)).toBeLessThanOrEqual(1e-4);
      expect(pageErrors).toEqual([]);
    });
  }
});
