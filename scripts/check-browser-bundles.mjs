// Bundles a package's browser entry (src/browser.ts) with esbuild for the browser, resolving every `@deitjs/<pkg>`
// to that package's own src/browser.ts — what an app's bundler sees through the `browser` export condition. A Node
// built-in (or a package that needs one) anywhere in the graph fails the bundle. Used by each package's
// src/browser.test.ts and run as a script (`node scripts/check-browser-bundles.mjs`) in CI.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The packages that have a browser entry. */
export function browserPackages() {
  return ['core', 'tokens', 'encoder', 'losses', 'teachers', 'models', 'run', 'trainer', 'data'].filter((p) =>
    existsSync(join(root, 'packages', p, 'src', 'browser.ts')),
  );
}

/**
 * Bundles packages/<name>/src/browser.ts for the browser (ESM, nothing external) in memory. Resolves with the
 * bundle's size and the Node built-ins it reached (none when it succeeds); rejects with esbuild's errors.
 */
export async function bundleForBrowser(name) {
  const result = await build({
    entryPoints: [join(root, 'packages', name, 'src', 'browser.ts')],
    absWorkingDir: root,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
    metafile: true,
    plugins: [
      {
        name: 'deitjs-browser-sources',
        setup(b) {
          b.onResolve({ filter: /^@deitjs\/[a-z]+$/ }, (args) => {
            const pkg = args.path.slice('@deitjs/'.length);
            const file = join(root, 'packages', pkg, 'src', 'browser.ts');
            if (!existsSync(file)) return { errors: [{ text: `@deitjs/${pkg} has no browser entry (src/browser.ts)` }] };
            return { path: file };
          });
        },
      },
    ],
  });
  const inputs = Object.keys(result.metafile.inputs);
  return { bytes: result.outputFiles[0].contents.byteLength, inputs };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let failed = 0;
  for (const name of browserPackages()) {
    try {
      const { bytes } = await bundleForBrowser(name);
      console.log(`@deitjs/${name}: browser bundle ok (${(bytes / 1e6).toFixed(2)} MB unminified)`);
    } catch (err) {
      failed++;
      const errors = err.errors ?? [{ text: String(err) }];
      console.error(`@deitjs/${name}: browser bundle FAILED`);
      for (const e of errors.slice(0, 10)) console.error(`  ${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`);
    }
  }
  process.exitCode = failed > 0 ? 1 : 0;
}
