// deit-web: the packages are bundled from their built browser entries (each package.json's `browser` export
// condition, which Vite picks by default), as an application outside this repository would bundle them: build the
// packages first (`npx turbo run build --filter=deit-web^...`; `npm test` here does it through turbo).
import { defineConfig } from 'vite';

/** Headers that make the page cross-origin isolated, so SharedArrayBuffer (wasm threads) is available. */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export default defineConfig({
  base: './',
  worker: { format: 'es' },
  // Minified: initBackend keeps tfjs-backend-wasm's threaded build off (that build ships its factory's source text
  // to its workers, which minification breaks), see src/lib/backend.ts.
  build: { target: 'es2022', outDir: 'dist', chunkSizeWarningLimit: 4096 },
  server: { host: '127.0.0.1', headers: ISOLATION_HEADERS },
  preview: { host: '127.0.0.1', headers: ISOLATION_HEADERS },
});
