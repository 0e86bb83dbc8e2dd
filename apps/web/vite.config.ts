// deit-web: the packages' TypeScript sources are bundled directly (the aliases vitest uses), so the page needs no
// package build; Node built-ins that the packages' Node-only paths import become stubs that throw when called.
import { builtinModules } from 'node:module';
import { defineConfig, type Plugin } from 'vite';
import { sourceAliases } from '../../vitest.shared.ts';

/** Headers that make the page cross-origin isolated, so SharedArrayBuffer (wasm threads) is available. */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const SHIM = '\0deit-node-shim:';
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/**
 * Resolves every Node built-in to a module with the same export names whose functions throw when called: the
 * packages' Node-only code paths (files, worker threads) stay unused in the page, and a call says what happened.
 */
function nodeBuiltinStubs(): Plugin {
  return {
    name: 'deit-node-builtin-stubs',
    enforce: 'pre',
    resolveId(id) {
      return builtins.has(id) ? SHIM + id.replace(/^node:/, '') : null;
    },
    async load(id) {
      if (!id.startsWith(SHIM)) return null;
      const name = id.slice(SHIM.length);
      const real = (await import(`node:${name}`)) as Record<string, unknown>;
      const names = Object.keys(real).filter((k) => k !== 'default' && /^[A-Za-z_$][\w$]*$/.test(k));
      const lines = names.map((k) => `export const ${k} = stub(${JSON.stringify(k)});`);
      return [
        `function stub(k) { const f = function () { throw new Error('node:${name}.' + k + ' is not available in the browser'); };`,
        '  return new Proxy(f, { get: (t, p) => (p in t ? t[p] : undefined), construct: () => f() }); }',
        ...lines,
        `export default { ${names.join(', ')} };`,
      ].join('\n');
    },
  };
}

export default defineConfig({
  base: './',
  resolve: { alias: sourceAliases() },
  plugins: [nodeBuiltinStubs()],
  worker: { format: 'es', plugins: () => [nodeBuiltinStubs()] },
  define: { 'process.env.DEIT_BACKEND': 'undefined', 'process.env.DEIT_WASM_THREADS': 'undefined' },
  // No minification: tfjs-backend-wasm's threaded build hands its factory's source text (Function.toString) to its
  // pthread workers, and renamed closure variables there fail with "e is not defined".
  build: { target: 'es2022', outDir: 'dist', chunkSizeWarningLimit: 4096, minify: false },
  server: { host: '127.0.0.1', headers: ISOLATION_HEADERS },
  preview: { host: '127.0.0.1', headers: ISOLATION_HEADERS },
});
