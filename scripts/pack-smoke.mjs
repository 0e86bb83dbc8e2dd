// What a user installs, checked the way a user gets it (CI, after `npm run build`; `npm run release` before
// publishing): packs every publishable package (its prepack adds LICENSE and refuses a stale build), checks each
// tarball's files, lints it with publint and arethetypeswrong, installs all the tarballs into a fresh project outside
// the workspace (external dependencies from the npm registry) and runs a smoke script there: ESM and CommonJS loads of
// every entry, a DeiT forward on the cpu backend and loss values from @deitjs/losses.
// Usage: node scripts/pack-smoke.mjs [--keep] (--keep leaves the temp folder and prints its path).
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { entryFiles, exportSubpaths, loadsWithRequire } from './package-entries.mjs';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const keep = process.argv.includes('--keep');
const started = Date.now();
const seconds = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;

/**
 * Entry points that are not meant to load without an optional peer, or in every module system, with the reason.
 * `@deitjs/core/test` is the vitest helpers: ESM only (vitest refuses require()) and it imports vitest.
 */
const NOT_LOADED = { '@deitjs/core/test': 'imports vitest (an optional peer), ESM only' };
/** arethetypeswrong options per package: `./test` is ESM only on purpose (see above). */
const ATTW_OPTIONS = { '@deitjs/core': ['--exclude-entrypoints', './test'] };

const failures = [];
function check(ok, message) {
  if (!ok) failures.push(message);
}

/** Runs a command; its output is returned, or printed with the failure when it exits non-zero. */
async function sh(file, args, options = {}) {
  try {
    const { stdout } = await run(file, args, { maxBuffer: 64 << 20, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' }, ...options });
    return { ok: true, output: stdout };
  } catch (error) {
    return { ok: false, output: `${error.stdout ?? ''}${error.stderr ?? ''}` || String(error) };
  }
}

/** Runs tasks two at a time (the CI machine has two cores). */
async function pool(tasks, width = 2) {
  const results = [];
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]();
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

const packages = readdirSync(join(root, 'packages'))
  .map((name) => ({ dir: join(root, 'packages', name), manifest: JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8')) }))
  .filter(({ manifest }) => !manifest.private);
const work = mkdtempSync(join(tmpdir(), 'deitjs-pack-smoke-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);

try {
  // 1. Pack (one npm run for all; each package's prepack runs).
  const packed = await sh('npm', ['pack', '--silent', '--pack-destination', tarballs, ...packages.flatMap(({ dir }) => ['--workspace', dir])], { cwd: root });
  if (!packed.ok) throw new Error(`npm pack failed:\n${packed.output}`);
  for (const pkg of packages) {
    const { name, version } = pkg.manifest;
    pkg.tarball = join(tarballs, `${name.replace('@', '').replace('/', '-')}-${version}.tgz`);
    const listing = await sh('tar', ['-tzf', pkg.tarball]);
    if (!listing.ok) throw new Error(`${name}: no tarball ${pkg.tarball}`);
    const files = new Set(listing.output.split('\n').filter(Boolean).map((file) => file.replace(/^package\//, './')));
    for (const file of ['./package.json', './README.md', './LICENSE', ...entryFiles(pkg.manifest)]) {
      check(files.has(file), `${name}: ${file} is not in the tarball`);
    }
    check(![...files].some((file) => /\.test\.|\/src\//.test(file)), `${name}: the tarball holds sources or tests`);
    // On npm a README's relative link points nowhere: files of the repository are linked by absolute URL.
    const readme = readFileSync(join(pkg.dir, 'README.md'), 'utf8');
    for (const [link] of readme.matchAll(/\]\((?!https?:|#|mailto:)[^)]*\)/g)) check(false, `${name}: README.md links ${link} (relative; use https://github.com/deitjs/deitjs/…)`);
    console.log(`packed ${name}@${version}: ${files.size} files, ${(statSync(pkg.tarball).size / 1024).toFixed(0)} KiB`);
  }
  console.log(`packed in ${seconds()}`);

  // 2. Lint each tarball: publint (strict: warnings fail too) and arethetypeswrong (every resolution mode).
  const bin = (name) => join(root, 'node_modules', '.bin', name);
  const lints = await pool(
    packages.flatMap(({ manifest, tarball }) => [
      async () => ({ name: manifest.name, tool: 'publint', ...(await sh(bin('publint'), ['--strict', tarball])) }),
      async () => ({ name: manifest.name, tool: 'attw', ...(await sh(bin('attw'), [tarball, '--format', 'ascii', ...(ATTW_OPTIONS[manifest.name] ?? [])])) }),
    ]),
  );
  for (const { name, tool, ok, output } of lints) {
    if (!ok) console.log(output);
    check(ok, `${name}: ${tool} reports problems (above)`);
  }
  console.log(`publint and attw on ${packages.length} packages: ${lints.filter((lint) => lint.ok).length}/${lints.length} clean (${seconds()})`);

  // 3. A fresh project outside the workspace: every tarball, nothing else.
  const project = join(work, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'deitjs-pack-smoke', version: '0.0.0', private: true }, null, 2)}\n`);
  const installed = await sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...packages.map(({ tarball }) => tarball)], { cwd: project });
  if (!installed.ok) throw new Error(`npm install of the tarballs failed:\n${installed.output}`);
  const du = await sh('du', ['-sm', join(project, 'node_modules')]);
  console.log(`installed ${packages.length} tarballs into a fresh project: node_modules ${du.output.split('\t')[0]} MB (${seconds()})`);

  // 4. Load every entry from ESM and CommonJS, then use the models and losses as a user would.
  const entries = packages.flatMap(({ manifest }) =>
    exportSubpaths(manifest).map(({ subpath, target }) => ({ id: subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`, cjs: loadsWithRequire(target) })),
  );
  const loaded = entries.filter(({ id }) => !(id in NOT_LOADED));
  writeFileSync(join(project, 'load.cjs'), cjsLoader(loaded.filter(({ cjs }) => cjs).map(({ id }) => id)));
  writeFileSync(join(project, 'smoke.mjs'), esmSmoke(loaded.map(({ id }) => id)));
  for (const script of ['load.cjs', 'smoke.mjs']) {
    const result = await sh(process.execPath, [script], { cwd: project });
    process.stdout.write(result.output);
    check(result.ok, `${script} failed in the fresh project (above)`);
  }
  for (const [id, reason] of Object.entries(NOT_LOADED)) console.log(`not loaded: ${id} (${reason})`);
} catch (error) {
  failures.push(error instanceof Error ? error.message : String(error));
} finally {
  if (keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

if (failures.length > 0) {
  console.error(`\npack smoke: ${failures.length} problem(s):\n${failures.map((failure) => `- ${failure}`).join('\n')}`);
  process.exit(1);
}
console.log(`pack smoke: all ${packages.length} packages pack, lint clean, install from their tarballs and run (${seconds()})`);

/** A CommonJS script that require()s each entry and checks it exports something. */
function cjsLoader(ids) {
  return `'use strict';
for (const id of ${JSON.stringify(ids)}) {
  const exported = Object.keys(require(id));
  if (exported.length === 0) throw new Error(id + ': require() gives no exports');
  console.log('require ' + id + ': ' + exported.length + ' exports');
}
`;
}

/** An ES module that imports each entry, runs a small distilled DeiT on the cpu backend and checks loss values. */
function esmSmoke(ids) {
  return `import assert from 'node:assert/strict';
for (const id of ${JSON.stringify(ids)}) {
  const exported = Object.keys(await import(id));
  assert.ok(exported.length > 0, id + ': import gives no exports');
  console.log('import ' + id + ': ' + exported.length + ' exports');
}
const { initBackend, tf } = await import('@deitjs/core');
const { createModel } = await import('@deitjs/models');
const { crossEntropy, distillationLoss, baseCriterion } = await import('@deitjs/losses');
await initBackend('cpu');
const model = createModel('deit_micro_distilled_patch4_32', { numClasses: 10, seed: 0 });
const before = tf.memory().numTensors;
const images = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 1);
const logits = model.predict(images);
assert.deepEqual(logits.shape, [2, 10]);
const values = logits.dataSync();
assert.ok(values.every(Number.isFinite), 'the forward gives finite logits');
const { cls, dist } = model.apply(images, { training: false, returnBoth: true });
assert.ok(tf.tidy(() => tf.max(tf.abs(tf.sub(tf.div(tf.add(cls, dist), 2), logits))).dataSync()[0]) < 1e-5, 'predict is the mean of both heads');
// Cross-entropy of equal logits over two classes is ln 2, whatever the label.
const ce = tf.tidy(() => crossEntropy(tf.tensor2d([[0, 0], [3, 3]]), tf.tensor1d([0, 1], 'int32')).dataSync()[0]);
assert.ok(Math.abs(ce - Math.LN2) < 1e-6, 'crossEntropy of equal logits is ln 2, got ' + ce);
const labels = tf.tensor1d([1, 7], 'int32');
const criterion = distillationLoss({ base: baseCriterion({ mixup: false }), type: 'hard', alpha: 0.5 });
const parts = tf.tidy(() => { const out = criterion({ cls, dist }, labels, logits); return [out.loss, out.base, out.distill].map((t) => t.dataSync()[0]); });
assert.ok(parts.every(Number.isFinite) && Math.abs(parts[0] - (parts[1] + parts[2]) / 2) < 1e-5, 'hard distillation is the mean of its parts');
tf.dispose([images, logits, cls, dist, labels]);
assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
console.log('deit_micro_distilled_patch4_32 forward on ' + tf.getBackend() + ': logits[0][0..3] ' + Array.from(values.slice(0, 3), (v) => v.toFixed(4)).join(' ') + '; distillation loss ' + parts[0].toFixed(4));
`;
}
