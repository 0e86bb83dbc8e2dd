#!/usr/bin/env node
// End-to-end test of the built app (run by `npm test` after `vite build`): serves dist/ on 127.0.0.1 with COOP/COEP,
// drives Debian's chromium with playwright-core, draws a digit stroke and checks that the page's prediction is Node's
// (deit-eval predict on the same 28×28 pixels with the same run directory), runs a short live distillation (loss must
// fall, pause must hold), downloads the student and checks deit-eval loads it, and saves screenshots. The student's
// ONNX export (deit-eval export --format onnx), chosen as "your own model", must give the same answer in onnxruntime-web.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from './static-server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const app = resolve(here, '..');
const studentRun = join(app, 'public', 'mnist', 'student');
const deitEval = resolve(app, '..', 'eval', 'bin', 'deit-eval.js');
const shots = join(app, 'test-results');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const t0 = performance.now();
const log = (s) => console.log(`[deit-web e2e ${((performance.now() - t0) / 1000).toFixed(1)} s] ${s}`);

if (!existsSync(CHROMIUM)) {
  console.error(`deit-web e2e: no chromium at ${CHROMIUM} (Debian: apt-get install -y chromium; or set CHROMIUM_PATH)`);
  process.exit(1);
}
mkdirSync(shots, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'deit-web-e2e-'));
const server = await serve(join(app, 'dist'));
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const problems = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  // Offline: nothing may leave 127.0.0.1.
  await page.route((url) => !url.href.startsWith(server.url) && !url.protocol.startsWith('blob') && !url.protocol.startsWith('data'), (r) => {
    problems.push(`request outside the app: ${r.request().url()}`);
    return r.abort();
  });
  await page.goto(server.url);
  await page.waitForFunction(() => window.deitWeb?.ready || window.deitWeb?.error, null, { timeout: 60_000 });
  assert.equal(await page.evaluate(() => window.deitWeb.error), undefined);
  assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'the served page is cross-origin isolated');
  log(`page ready: ${await page.locator('#status').textContent()}`);

  // Draw a 7: a bar across the top, then a diagonal down to the left.
  const box = await page.locator('canvas.pad').boundingBox();
  const at = (x, y) => [box.x + x * box.width, box.y + y * box.height];
  await page.mouse.move(...at(0.28, 0.22));
  await page.mouse.down();
  await page.mouse.move(...at(0.72, 0.22), { steps: 12 });
  await page.mouse.move(...at(0.45, 0.82), { steps: 16 });
  await page.mouse.up();
  await page.waitForFunction(() => window.deitWeb.classify.count >= 1, null, { timeout: 30_000 });
  const shown = Number(await page.locator('#prediction').getAttribute('data-class'));
  const seen = await page.evaluate(() => {
    const c = window.deitWeb.classify;
    const canvas = document.createElement('canvas');
    canvas.width = 28;
    canvas.height = 28;
    const ctx = canvas.getContext('2d');
    const img = ctx.createImageData(28, 28);
    c.lastDigit.forEach((v, i) => {
      img.data.set([v, v, v, 255], 4 * i);
    });
    ctx.putImageData(img, 0, 0);
    return { png: canvas.toDataURL('image/png'), mean: Array.from(c.lastLogits.mean), ink: c.lastDigit.reduce((a, v) => a + v, 0) };
  });
  assert.ok(seen.ink > 0, 'the stroke reached the digit');
  const pngFile = join(work, 'digit.png');
  writeFileSync(pngFile, Buffer.from(seen.png.split(',')[1], 'base64'));
  await page.screenshot({ path: join(shots, 'classify-laptop.png'), fullPage: true });

  // Node's prediction: deit-eval on the same pixels with the same run directory (its own decoding and preprocessing).
  const predict = (runDir) => JSON.parse(execFileSync(process.execPath, [deitEval, 'predict', '--run', runDir, '--images', pngFile, '--json', '--backend', 'wasm'], { encoding: 'utf8' }));
  const node = predict(studentRun).images[0].top;
  const pageProbs = softmax(seen.mean);
  log(`page predicts ${shown}; node (deit-eval predict) ${node[0].index} (p ${node[0].probability.toFixed(4)} vs ${pageProbs[shown].toFixed(4)})`);
  assert.equal(shown, node[0].index, "the page's prediction is Node's");
  for (const { index, probability } of node) assert.ok(Math.abs(pageProbs[index] - probability) < 1e-3, `class ${index}: page p ${pageProbs[index]} vs node ${probability}`);
  assert.ok((await page.locator('#inside canvas.heat').count()) === 4, 'four attention maps');

  // The same student exported to ONNX, its labels renamed (so that the page must name classes by id2label), chosen
  // as "your own model": onnxruntime-web must give the TF.js path's answer on the same digit.
  const onnxDir = join(work, 'onnx-student');
  execFileSync(process.execPath, [deitEval, 'export', '--format', 'onnx', '--run', studentRun, '--output', onnxDir], { stdio: 'pipe' });
  const names = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
  const config = JSON.parse(readFileSync(join(onnxDir, 'config.json'), 'utf8'));
  config.id2label = Object.fromEntries(names.map((n, i) => [String(i), n]));
  writeFileSync(join(onnxDir, 'config.json'), JSON.stringify(config));
  const beforeOnnx = await page.evaluate(() => window.deitWeb.classify.count);
  await page.locator('#model-files').setInputFiles(['config.json', 'preprocessor_config.json', 'onnx/model.onnx'].map((f) => join(onnxDir, f)));
  await page.waitForFunction((n) => window.deitWeb.classify.count > n, beforeOnnx, { timeout: 30_000 });
  assert.match(await page.locator('#model-line').textContent(), /ONNX, 10 classes, onnxruntime-web/);
  const onnxShown = Number(await page.locator('#prediction').getAttribute('data-class'));
  const onnxProbs = softmax(await page.evaluate(() => Array.from(window.deitWeb.classify.lastLogits.mean)));
  const maxDiff = Math.max(...onnxProbs.map((p, i) => Math.abs(p - pageProbs[i])));
  log(`ONNX (onnxruntime-web) predicts ${names[onnxShown]} (p ${onnxProbs[onnxShown].toFixed(6)} vs TF.js ${pageProbs[shown].toFixed(6)}; max |Δp| ${maxDiff.toExponential(1)})`);
  assert.equal(onnxShown, shown, "the ONNX export's top-1 is the TF.js path's");
  assert.equal(await page.locator('#prediction').textContent(), names[shown], 'classes are named by config.json id2label');
  for (let i = 0; i < 10; i++) assert.ok(Math.abs(onnxProbs[i] - pageProbs[i]) < 1e-4, `class ${i}: ONNX p ${onnxProbs[i]} vs TF.js ${pageProbs[i]}`);
  assert.equal(await page.locator('#top5-dist .row').count(), 5, 'the distilled export shows both heads');
  // The whole folder through the folder picker: the same answer, the folder's name as the source.
  const beforeFolder = await page.evaluate(() => window.deitWeb.classify.count);
  await page.locator('#onnx-folder').setInputFiles(onnxDir);
  await page.waitForFunction((n) => window.deitWeb.classify.count > n, beforeFolder, { timeout: 30_000 });
  assert.match(await page.locator('#model-line').textContent(), /\(onnx-student\)/);
  assert.equal(await page.locator('#prediction').textContent(), names[shown]);
  await page.screenshot({ path: join(shots, 'classify-onnx.png'), fullPage: true });

  // Live distillation from the committed teacher: two epochs of the students (30 steps).
  await page.locator('#epochs').fill('2');
  await page.locator('#start').click();
  await page.waitForFunction(() => window.deitWeb.distill.steps.filter((s) => s.phase === 'students').length >= 3 || window.deitWeb.distill.error, null, {
    timeout: 120_000,
  });
  await page.locator('#pause').click();
  await page.waitForFunction(() => window.deitWeb.distill.state === 'paused' || window.deitWeb.distill.error, null, { timeout: 30_000 });
  const pausedAt = await page.evaluate(() => window.deitWeb.distill.steps.length);
  await page.waitForTimeout(1500);
  assert.equal(await page.evaluate(() => window.deitWeb.distill.steps.length), pausedAt, 'a paused job does not step');
  await page.locator('#pause').click(); // resume
  await page.waitForFunction(() => ['done', 'stopped'].includes(window.deitWeb.distill.state) || window.deitWeb.distill.error, null, { timeout: 180_000 });
  const job = await page.evaluate(() => ({ error: window.deitWeb.distill.error, steps: window.deitWeb.distill.steps, evals: window.deitWeb.distill.evals }));
  assert.equal(job.error, undefined);
  const avg = (xs) => xs.reduce((a, v) => a + v, 0) / xs.length;
  const fell = (name, xs, margin) => {
    const [a, b] = [avg(xs.slice(0, 5)), avg(xs.slice(-5))];
    log(`${name}: loss ${a.toFixed(3)} → ${b.toFixed(3)} over ${xs.length} steps`);
    assert.ok(b < a - margin, `${name}: the loss falls (${a} → ${b})`);
  };
  const students = job.steps.filter((s) => s.phase === 'students');
  assert.equal(students.length, 30, 'two epochs of 15 steps');
  // A DeiT this small starts on a plateau near ln 10 ≈ 2.30 (as in the main job's first epochs): in 30 steps its
  // loss falls, but only by a few hundredths (seen: 2.320 → 2.304, 2.341 → 2.316, 2.337 → 2.311).
  fell('distilled student', students.map((s) => s.distilled.loss), 0);
  fell('twin (no distillation)', students.map((s) => s.baseline.loss), 0);
  log(`last evaluation: ${JSON.stringify(job.evals.at(-1))}`);
  await page.screenshot({ path: join(shots, 'distill-laptop.png'), fullPage: true });

  // Download the trained student; deit-eval must read the folder as a run directory.
  const downloads = join(work, 'download');
  mkdirSync(downloads);
  const got = new Promise((ok) => {
    const files = [];
    page.on('download', async (dl) => {
      await dl.saveAs(join(downloads, dl.suggestedFilename()));
      files.push(dl.suggestedFilename());
      if (files.length === 2) ok(files.sort());
    });
  });
  await page.locator('#download').click();
  assert.deepEqual(await got, ['model.safetensors', 'run.json']);
  const mine = predict(downloads).images[0].top;
  log(`deit-eval reads the downloaded student: top-1 ${mine[0].index}`);
  // …and the page takes it back as "your own model": the same digit is classified again with it.
  const before = await page.evaluate(() => window.deitWeb.classify.count);
  await page.locator('#model-files').setInputFiles([join(downloads, 'model.safetensors'), join(downloads, 'run.json')]);
  await page.waitForFunction((n) => window.deitWeb.classify.count > n, before, { timeout: 30_000 });
  assert.match(await page.locator('#model-line').textContent(), /model\.safetensors/);
  assert.equal(Number(await page.locator('#prediction').getAttribute('data-class')), mine[0].index, 'the page agrees with deit-eval on the downloaded student');

  // Served without COOP/COEP the page still classifies, on tfjs's single-threaded kernels, and says so.
  const plain = await serve(join(app, 'dist'), { isolate: false });
  try {
    const p2 = await context.newPage();
    await p2.goto(plain.url);
    await p2.waitForFunction(() => window.deitWeb?.ready || window.deitWeb?.error, null, { timeout: 60_000 });
    assert.equal(await p2.locator('#status').getAttribute('data-isolated'), 'false');
    assert.match(await p2.locator('#status').textContent(), /not cross-origin isolated/);
    await p2.evaluate(() => window.deitWeb.classify.run(new Uint8Array(784).fill(255, 300, 320)));
    assert.equal(await p2.evaluate(() => window.deitWeb.classify.count), 1);
    await p2.close();
    log('without isolation: the page works and says so');
  } finally {
    await plain.close();
  }

  // Phone width.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(shots, 'phone.png'), fullPage: true });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 400), 'no horizontal scrolling at phone width');
  assert.deepEqual(problems, []);
  log(`passed; screenshots in ${shots}`);
} finally {
  await browser.close();
  await server.close();
  rmSync(work, { recursive: true, force: true });
}

function softmax(logits) {
  const m = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - m));
  const s = e.reduce((a, v) => a + v, 0);
  return e.map((v) => v / s);
}
