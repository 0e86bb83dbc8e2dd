import { initBackend, tf } from '@deitjs/core';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

/** The backend the page (or the worker) runs on, in words for the status line. */
export interface BackendStatus {
  /** The TF.js backend (`wasm`, or `cpu` when WebAssembly failed). */
  backend: string;
  /** Whether this context is cross-origin isolated (SharedArrayBuffer: wasm threads). */
  isolated: boolean;
  /** One line for the page. */
  summary: string;
}

// The bundler emits the .wasm binaries as hashed assets (nothing from a CDN); initBackend hands them to tfjs.
const wasmPaths = { 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded };

/**
 * Starts the wasm backend from the bundled .wasm files, with deitjs's kernels where they load; falls back to the cpu
 * backend. tfjs's own kernels run single-threaded (initBackend's default): the app is a minified bundle, which
 * tfjs-backend-wasm's threaded build does not survive.
 */
export async function startBackend(): Promise<BackendStatus> {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  let detail: string;
  try {
    const report = await initBackend('wasm', { wasmPaths });
    detail = report.attempts.find((a) => a.ok)?.reason ?? '';
  } catch (err) {
    const report = await initBackend('cpu');
    detail = `WebAssembly failed (${err instanceof Error ? err.message : String(err)}); ${report.attempts.find((a) => a.ok)?.reason ?? ''}`;
  }
  const backend = tf.getBackend();
  const where = isolated ? 'cross-origin isolated (SharedArrayBuffer)' : 'not cross-origin isolated: no SharedArrayBuffer (serve with `npm run web` for COOP/COEP)';
  return { backend, isolated, summary: `backend ${backend}; ${where}. ${detail}` };
}
