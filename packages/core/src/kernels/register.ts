import { BatchMatMul, Cast, Conv2DBackpropFilter, Conv2DBackpropInput, Erf, Exp, Identity, Slice, SplitV, Sum } from '@tensorflow/tfjs-core';
import { ConfigError } from '../errors.js';
import { tf } from '../tf.js';
import { makeBatchMatMul } from './batch-mat-mul.js';
import { makeConv2DBackpropFilter } from './conv2d-backprop-filter.js';
import { makeConv2DBackpropInput } from './conv2d-backprop-input.js';
import { makeCast, makeIdentity } from './identity.js';
import { type KernelModule, loadKernelModule } from './kernel-module.js';
import { makeSlice, makeSplitV } from './slice.js';
import { makeSum } from './sum.js';
import { makeUnary } from './unary.js';

/**
 * One wasm kernel of deitjs. `simd` kernels run deitjs's compiled module around tfjs's original (kept for
 * what it alone handles); `composite` kernels run other wasm kernels only, so they need neither the module
 * nor an original (tfjs-backend-wasm 4.22 has no `Conv2DBackpropFilter` at all).
 */
type WasmKernel =
  | { readonly name: string; readonly kind: 'simd'; readonly make: (mod: KernelModule, original: tf.KernelFunc) => tf.KernelFunc }
  | { readonly name: string; readonly kind: 'composite'; readonly make: () => tf.KernelFunc };

// Every wasm kernel deitjs registers: the one table `registerWasmKernels` and `restoreWasmKernels` read.
const WASM_KERNELS: readonly WasmKernel[] = [
  { name: BatchMatMul, kind: 'simd', make: makeBatchMatMul },
  { name: Slice, kind: 'simd', make: makeSlice },
  { name: SplitV, kind: 'simd', make: makeSplitV },
  { name: Sum, kind: 'simd', make: makeSum },
  { name: Exp, kind: 'simd', make: makeUnary('exp_f32') },
  { name: Erf, kind: 'simd', make: makeUnary('erf_f32') },
  { name: Identity, kind: 'simd', make: makeIdentity },
  { name: Cast, kind: 'simd', make: makeCast },
  { name: Conv2DBackpropFilter, kind: 'composite', make: makeConv2DBackpropFilter },
  { name: Conv2DBackpropInput, kind: 'composite', make: makeConv2DBackpropInput },
];

/** Names of the kernels deitjs registers on wasm without its SIMD module (so even where that cannot load). */
export const COMPOSITE_WASM_KERNELS: readonly string[] = WASM_KERNELS.filter((k) => k.kind === 'composite').map((k) => k.name);

// tfjs's own configs, saved on first replacement so they can be put back (undefined: tfjs has none).
const originals = new Map<string, tf.KernelConfig | undefined>();
// The configs deitjs registered last, to tell whether they are still the registered ones.
const ours = new Map<string, tf.KernelConfig>();
// Whether the SIMD kernels were registered by a call that completed (the module loaded).
let simdRegistered = false;

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

/** Registers `kernelFunc` as the wasm kernel `name`, saving tfjs's config (or its absence) the first time. */
function replace(name: string, kernelFunc: tf.KernelFunc): void {
  if (!originals.has(name)) originals.set(name, tf.getKernel(name, 'wasm'));
  if (tf.getKernel(name, 'wasm') !== undefined) tf.unregisterKernel(name, 'wasm');
  const config: tf.KernelConfig = { kernelName: name, backendName: 'wasm', kernelFunc };
  tf.registerKernel(config);
  ours.set(name, config);
}

/**
 * Registers every wasm kernel of deitjs's table: the SIMD replacements of hot tfjs-backend-wasm kernels (same
 * maths; float32 results differ only by summation order) and the conv gradients built from other wasm kernels
 * (`Conv2DBackpropFilter`, which tfjs-backend-wasm lacks, and a faster `Conv2DBackpropInput`). Idempotent;
 * called by `initBackend` when it selects wasm. The composite kernels are registered first: they stay
 * registered when the rest fails (a bad thread count, or a SIMD module that cannot load; the call then
 * rejects). Returns the names of the kernels now deitjs's.
 */
export async function registerWasmKernels(options: WasmKernelOptions = {}): Promise<string[]> {
  for (const k of WASM_KERNELS) if (k.kind === 'composite') replace(k.name, k.make());
  const threads = options.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1) throw new ConfigError('threads', `must be a positive integer, got ${threads}`);
  const mod = await loadKernelModule();
  await mod.setThreads(threads);
  for (const k of WASM_KERNELS) {
    if (k.kind !== 'simd') continue;
    const original = originals.has(k.name) ? originals.get(k.name) : tf.getKernel(k.name, 'wasm');
    // A SIMD kernel falls back to tfjs's for what it does not handle: without one, keep whatever is there.
    if (original === undefined) continue;
    replace(k.name, k.make(mod, original.kernelFunc));
  }
  simdRegistered = true;
  return [...ours.keys()];
}

/** Threads deitjs's wasm matrix products use now (0 before {@link registerWasmKernels} loaded its module). */
export async function wasmKernelThreads(): Promise<number> {
  return simdRegistered ? (await loadKernelModule()).threads : 0;
}

/**
 * Puts tfjs-backend-wasm's own kernels back, and removes those it does not have (`Conv2DBackpropFilter`):
 * for benchmarks and A/B parity checks. `registerWasmKernels` (or `initBackend('wasm')`) registers them again.
 */
export function restoreWasmKernels(): void {
  for (const [name, original] of originals) {
    if (tf.getKernel(name, 'wasm') !== undefined) tf.unregisterKernel(name, 'wasm');
    if (original === undefined) continue;
    tf.registerKernel(original);
    // A backend initialised while ours was registered never ran the original's setup (its wasm bindings).
    const wasm = tf.findBackend('wasm');
    if (wasm !== null && original.setupFunc !== undefined) original.setupFunc(wasm);
  }
}

/** Whether all of deitjs's wasm kernels are the ones registered now. */
export function wasmKernelsActive(): boolean {
  return simdRegistered && [...ours].every(([name, config]) => tf.getKernel(name, 'wasm') === config);
}
