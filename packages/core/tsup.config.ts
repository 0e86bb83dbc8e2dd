import { defineConfig } from 'tsup';
import { browserEntry } from '../../tsup.shared.ts';

// tfjs-core's gradient and chained-op registrations (imported by src/tf.ts) are ES modules inside a CommonJS
// package: Node cannot load them by path, so the Node build bundles them (they fill tfjs's process-wide registries,
// as the @tensorflow/tfjs union's own Node build does). The browser build leaves them to the app's bundler, which
// resolves them beside tfjs-core's ES entry (one copy of tfjs-core in the page).
const TFJS_CORE_REGISTRATIONS = /^@tensorflow\/tfjs-core\/dist\//;

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    noExternal: [TFJS_CORE_REGISTRATIONS],
  },
  browserEntry(),
  {
    // `@deitjs/core/test`: the vitest helpers. Its import of the main entry stays an import of the published
    // `@deitjs/core`, so tests and the code under test share one backend and one kernel registry. ESM only:
    // vitest 4 refuses to be loaded by require(), so a CommonJS build could only throw.
    entry: { 'test/index': 'src/test/index.ts' },
    format: ['esm'],
    dts: true,
    sourcemap: true,
    external: ['vitest', '@deitjs/core'],
    esbuildPlugins: [
      {
        name: 'main-entry-as-package',
        setup(build) {
          build.onResolve({ filter: /^\.\.\/index\.js$/ }, (args) =>
            /[\\/]src[\\/]test[\\/]/.test(args.importer) ? { path: '@deitjs/core', external: true } : undefined,
          );
        },
      },
    ],
  },
]);
