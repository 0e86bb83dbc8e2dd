import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeFileAtomic } from './atomic.js';
import { DeitError } from './errors.js';

const bundles = new Map<string, Promise<URL>>();

/**
 * The script of a worker thread: `built` (a `.js` beside the built module) when it exists; otherwise the TypeScript
 * `source` bundled once with esbuild (a build tool of the repo, not a runtime dependency), because Node cannot run
 * a `.ts` entry in a worker. The bundle takes workspace packages (`@deitjs/*`) from their sources, leaves other bare
 * imports external and is cached in the source package's `node_modules/.cache/deitjs-workers`, so those imports
 * resolve as they do from the sources. `what` names the worker in errors.
 */
export function workerScript(built: URL, source: URL, what: string): Promise<URL> {
  if (existsSync(fileURLToPath(built))) return Promise.resolve(built);
  const entry = fileURLToPath(source);
  if (!existsSync(entry)) {
    return Promise.reject(new DeitError('E_WORKER', `cannot find the ${what} script (${fileURLToPath(built)} or ${entry})`));
  }
  let bundle = bundles.get(entry);
  if (bundle === undefined) {
    bundle = bundleFromSources(entry, what);
    bundles.set(entry, bundle);
  }
  return bundle;
}

/** The package holding a source file: its nearest ancestor directory with a package.json (else the file's parent's parent). */
function packageDirOf(file: string): string {
  for (let dir = dirname(file); ; ) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return resolve(dirname(file), '..');
    dir = up;
  }
}

async function bundleFromSources(entry: string, what: string): Promise<URL> {
  // Sources live under <repo>/{packages,apps}/<name>/src (a worker may sit in a subfolder such as src/test);
  // workspace packages in <repo>/packages.
  const packageDir = packageDirOf(entry);
  const packagesDir = resolve(packageDir, '..', '..', 'packages');
  const esbuildName = 'esbuild';
  let esbuild: typeof import('esbuild');
  try {
    esbuild = (await import(esbuildName)) as typeof import('esbuild');
  } catch (err) {
    throw new DeitError('E_WORKER', `running the ${what} from TypeScript sources needs esbuild (${String(err)}); build the package first`);
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
            // tfjs-core's gradient and chained-op registrations (core's src/tf.ts) are ES modules in a CommonJS
            // package, which Node cannot import by path: bundled, as core's own Node build does.
            if (/^@tensorflow\/tfjs-core\/dist\//.test(args.path)) return undefined;
            return { external: true };
          });
        },
      },
    ],
  });
  const code = result.outputFiles[0]!.contents;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const dir = join(packageDir, 'node_modules', '.cache', 'deitjs-workers');
  const name = entry.replace(/^.*[\\/]/, '').replace(/\.ts$/, '');
  const file = join(dir, `${name}-${hash}.mjs`);
  if (!existsSync(file) || !readFileSync(file).equals(Buffer.from(code))) {
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(file, [code]);
  }
  return pathToFileURL(file);
}
