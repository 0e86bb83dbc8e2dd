#!/usr/bin/env node
// `npm run fuzz`: bundles the fuzz harness of the checkpoint readers (packages/core/fuzz, TypeScript, run against
// the sources) with esbuild and runs it. Short pass by default (a few hundred mutations, for CI); `-- --long` is
// the 20,000-mutation pass; `-- --seed N --cases N --case ID --timeout MS --workers N --rss-mb MB` tune it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fuzz = join(root, 'packages', 'core', 'fuzz');
const out = mkdtempSync(join(tmpdir(), 'deitjs-fuzz-build-'));
try {
  await build({
    entryPoints: { main: join(fuzz, 'main.ts'), worker: join(fuzz, 'worker.ts') },
    outdir: out,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
  const run = spawnSync(process.execPath, [join(out, 'main.mjs'), '--worker', join(out, 'worker.mjs'), ...process.argv.slice(2)], {
    cwd: root,
    stdio: 'inherit',
  });
  process.exitCode = run.status ?? 1;
} finally {
  rmSync(out, { recursive: true, force: true });
}
