// The test page, bundled as an application would bundle @deitjs/models: from the packages' built entries (their
// browser export conditions), not from their TypeScript sources.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('./page', import.meta.url)),
  base: './',
  logLevel: 'warn',
  build: { target: 'es2022', emptyOutDir: true, chunkSizeWarningLimit: 8192 },
});
