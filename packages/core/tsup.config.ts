import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
  },
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
