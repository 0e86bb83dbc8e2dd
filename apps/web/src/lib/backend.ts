import { initBackend, tf } from '@deitjs/core';
// core's tf.ts imports these two for their side effects (every gradient, the chained tensor methods); bundled from
// core's sources, whose package.json lists only dist/ files as having side effects, they would be dropped.
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
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

/**
 * Starts the wasm backend from the bundled .wasm files (nothing from a CDN), with deitjs's kernels where they load;
 * falls back to the cpu backend. Without cross-origin isolation tfjs runs its single-threaded SIMD build.
 */
export async function startBackend(): Promise<BackendStatus> {
  setWasmPaths({ 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded });
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  let detail: string;
  try {
    const report = await initBackend('wasm');
    // core words its reason for Node; keep the part about deitjs's kernels.
    const reason = report.attempts.find((a) => a.ok)?.reason ?? '';
    detail = `tfjs's WebAssembly kernels on ${getThreadsCount()} thread(s)${reason.includes('; ') ? `; ${reason.slice(reason.indexOf('; ') + 2)}` : ''}`;
  } catch (err) {
    const report = await initBackend('cpu');
    detail = `WebAssembly failed (${err instanceof Error ? err.message : String(err)}); ${report.attempts.find((a) => a.ok)?.reason ?? ''}`;
  }
  const backend = tf.getBackend();
  const threads = isolated
    ? 'cross-origin isolated (SharedArrayBuffer: WebAssembly threads)'
    : 'not cross-origin isolated: no SharedArrayBuffer, so tfjs runs its single-threaded kernels (serve with `npm run web` for COOP/COEP)';
  return { backend, isolated, summary: `backend ${backend}; ${threads}. ${detail}` };
}
