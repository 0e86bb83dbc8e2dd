import { ConfigError } from '../errors.js';
import { tf } from '../tf.js';
import { makeBatchMatMul } from './batch-mat-mul.js';
import { makeCast, makeIdentity } from './identity.js';
import { type KernelModule, loadKernelModule } from './kernel-module.js';
import { makeSlice, makeSplitV } from './slice.js';
import { makeSum } from './sum.js';
import { makeUnary } from './unary.js';

type KernelFactory = (mod: KernelModule, original: tf.KernelFunc) => tf.KernelFunc;

// The wasm kernels deitjs replaces, each built around tfjs's original (kept for what it alone handles).
const REPLACEMENTS: ReadonlyArray<readonly [string, KernelFactory]> = [
  ['BatchMatMul', makeBatchMatMul],
  ['Slice', makeSlice],
  ['SplitV', makeSplitV],
  ['Sum', makeSum],
  ['Exp', makeUnary('exp_f32')],
  ['Erf', makeUnary('erf_f32')],
  ['Identity', makeIdentity],
  ['Cast', makeCast],
];

// tfjs's own configs, saved on first replacement so they can be put back.
const originals = new Map<string, tf.KernelConfig>();

/** Options of {@link registerWasmKernels}. */
export interface WasmKernelOptions {
  /**
   * Threads for matrix products (this thread plus worker threads; 1 = no workers). Default:
   * `DEIT_WASM_THREADS`, else 1. Results do not depend on it.
   */
  threads?: number;
}

// One thread unless asked: on the shared 2-core machine this was built on, a second thread showed no
// wall-time gain (the other core was busy), so the extra workers are opt-in until measured idle.
function defaultThreads(): number {
  const env = typeof process === 'undefined' ? undefined : process.env.DEIT_WASM_THREADS;
  if (env === undefined || env === '') return 1;
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError('DEIT_WASM_THREADS', `must be a positive integer, got "${env}"`);
  return n;
}

/**
 * Replaces hot tfjs-backend-wasm kernels with deitjs's WebAssembly SIMD versions (same maths; float32
 * results differ only by summation order). Idempotent; called by `initBackend` when it selects wasm.
 * Returns the names of the kernels now replaced.
 */
export async function registerWasmKernels(options: WasmKernelOptions = {}): Promise<string[]> {
  const threads = options.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1) throw new ConfigError('threads', `must be a positive integer, got ${threads}`);
  const mod = await loadKernelModule();
  await mod.setThreads(threads);
  for (const [name, make] of REPLACEMENTS) {
    if (!originals.has(name)) {
      const original = tf.getKernel(name, 'wasm');
      if (original === undefined) continue;
      originals.set(name, original);
    }
    const original = originals.get(name)!;
    if (tf.getKernel(name, 'wasm') !== undefined) tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: make(mod, original.kernelFunc) });
  }
  return [...originals.keys()];
}

/** Threads deitjs's wasm matrix products use now (0 before {@link registerWasmKernels}). */
export async function wasmKernelThreads(): Promise<number> {
  return originals.size === 0 ? 0 : (await loadKernelModule()).threads;
}

/** Puts tfjs-backend-wasm's own kernels back (for benchmarks and A/B parity checks). */
export function restoreWasmKernels(): void {
  for (const [name, original] of originals) {
    if (tf.getKernel(name, 'wasm') !== undefined) tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(original);
    // A backend initialised while ours was registered never ran the original's setup (its wasm bindings).
    const wasm = tf.findBackend('wasm');
    if (wasm !== null && original.setupFunc !== undefined) original.setupFunc(wasm);
  }
}

/** Whether deitjs's wasm kernels are the ones registered now. */
export function wasmKernelsActive(): boolean {
  return originals.size > 0 && [...originals].every(([name, original]) => tf.getKernel(name, 'wasm') !== original);
}
