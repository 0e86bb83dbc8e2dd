// What installing one deitjs package costs a user: packs the package and the @deitjs packages it depends on (the
// workspace's builds; run `npm run build` first), installs those tarballs into a fresh project outside the workspace
// (everything else from the npm registry, as `npm install @deitjs/<name>` would once published) and measures the
// project's node_modules: bytes (sum of file sizes), packages.
// Usage: node scripts/install-size.mjs [name …] [--json] [--keep]   (names without the scope; default losses models)
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const names = args.filter((a) => !a.startsWith('--'));
const json = args.includes('--json');
const keep = args.includes('--keep');

const manifest = (name) => JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'));

/** The package and every @deitjs package it depends on, transitively (runtime dependencies only). */
export function workspaceClosure(name, seen = new Set()) {
  if (seen.has(name)) return seen;
  seen.add(name);
  for (const dep of Object.keys(manifest(name).dependencies ?? {})) {
    if (dep.startsWith('@deitjs/')) workspaceClosure(dep.slice('@deitjs/'.length), seen);
  }
  return seen;
}

/** Sum of file sizes and number of packages (folders with a package.json directly under a node_modules). */
export function measure(nodeModules) {
  let bytes = 0;
  let packages = 0;
  for (const entry of readdirSync(nodeModules, { withFileTypes: true, recursive: true })) {
    const file = join(entry.parentPath, entry.name);
    if (entry.isFile()) {
      bytes += statSync(file).size;
      if (entry.name === 'package.json' && /node_modules[\\/](@[^\\/]+[\\/])?[^\\/@]+$/.test(entry.parentPath)) packages++;
    }
  }
  return { bytes, packages };
}

async function packAll(dir, packages) {
  const tarballs = {};
  for (const name of packages) {
    // --ignore-scripts: prepack's freshness check would refuse a build older than sources being edited; what is
    // measured here is the dependency tree, which the package's own files barely change.
    const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: join(root, 'packages', name), maxBuffer: 64 << 20 });
    tarballs[name] = join(dir, JSON.parse(stdout)[0].filename);
  }
  return tarballs;
}

/** Installs `name` (and its @deitjs closure) from tarballs into a fresh project; its node_modules size. */
export async function installSize(name, work) {
  const closure = [...workspaceClosure(name)];
  const tarballs = await packAll(join(work, 'tarballs'), closure);
  const project = join(work, `project-${name}`);
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: `size-${name}`, private: true, type: 'module' }, null, 2)}\n`);
  await run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', ...closure.map((n) => tarballs[n])], { cwd: project, maxBuffer: 64 << 20 });
  return { name: `@deitjs/${name}`, ...measure(join(project, 'node_modules')) };
}

if (process.argv[1] === import.meta.filename) {
  const work = mkdtempSync(join(tmpdir(), 'deit-install-size-'));
  mkdirSync(join(work, 'tarballs'));
  try {
    const results = [];
    for (const name of names.length > 0 ? names : ['losses', 'models']) {
      const r = await installSize(name, work);
      results.push(r);
      if (!json) console.log(`${r.name}: ${(r.bytes / 1e6).toFixed(1)} MB of node_modules, ${r.packages} packages`);
    }
    if (json) console.log(JSON.stringify(results, null, 2));
  } finally {
    if (keep) console.error(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}
