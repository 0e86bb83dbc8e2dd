import '@tensorflow/tfjs-backend-cpu';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { ConfigError } from './errors.js';
import { COMPOSITE_WASM_KERNELS, registerWasmKernels, wasmKernelThreads } from './kernels/register.js';
import { keepNodeErrorExit } from './node-exit.js';
import { tf } from './tf.js';

/** Backends deitjs can run on; `auto` picks the fastest that works here. */
export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

/** One backend that `initBackend` considered. */
export interface BackendAttempt {
  /** What was tried, e.g. `tensorflow (@tensorflow/tfjs-node-gpu)`. */
  candidate: string;
  /** Whether it was selected. */
  ok: boolean;
  /** Why it was skipped, or what was selected. */
  reason: string;
}

/** The outcome of {@link initBackend}. */
export interface BackendReport {
  /** The TF.js backend now active (`tensorflow`, `wasm` or `cpu`). */
  backend: string;
  /** Whether the native backend runs on a GPU. */
  gpu: boolean;
  /** Every candidate in the order tried, with the reason each earlier one was skipped. */
  attempts: BackendAttempt[];
}

/** The file names of tfjs-backend-wasm's three binaries (keys of {@link InitBackendOptions.wasmPaths}). */
export type WasmBinaryName = 'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm';

/** Options of {@link initBackend}; both concern the wasm backend only. */
export interface InitBackendOptions {
  /**
   * Where tfjs-backend-wasm's `.wasm` binaries are served from: a URL prefix (a directory, ending in `/`), or the
   * URL of each binary by file name (what a bundler emits for `?url` imports). Default: beside tfjs-backend-wasm's
   * own script, which works in Node and in unbundled pages.
   */
  wasmPaths?: string | Readonly<Record<WasmBinaryName, string>>;
  /**
   * Whether tfjs-backend-wasm may run its multi-threaded build. Default false. That build starts its workers from
   * the source text of one of its functions, which a minifying bundler breaks ("_scriptDir is not defined"); opt in
   * only in an unminified bundle on a cross-origin-isolated page (COOP/COEP headers: SharedArrayBuffer). Node has
   * no threaded tfjs build either way. It is read when the wasm backend first starts in this context.
   */
  threads?: boolean;
}

const CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/** Parses a backend name from a flag or `DEIT_BACKEND`, with an error naming the option. */
export function parseBackendChoice(value: string, option = '--backend'): BackendChoice {
  if ((CHOICES as readonly string[]).includes(value)) return value as BackendChoice;
  throw new ConfigError(option, `unknown backend "${value}" (choose one of ${CHOICES.join(', ')})`);
}

async function tryNative(pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node', requireGpu: boolean): Promise<BackendAttempt & { gpu: boolean }> {
  const candidate = `tensorflow (${pkg})`;
  try {
    // A variable specifier keeps bundlers from resolving an optional package at build time.
    const name: string = pkg;
    await import(name);
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    const missing = /Cannot find (module|package)|ERR_MODULE_NOT_FOUND|Could not resolve|Failed to load url/.test(String(msg));
    return { candidate, ok: false, gpu: false, reason: missing ? `${pkg} is not installed` : `${pkg} failed to load: ${msg}` };
  }
  if (!(await tf.setBackend('tensorflow'))) return { candidate, ok: false, gpu: false, reason: `${pkg} loaded but its backend did not initialise` };
  const gpu = (tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true;
  if (requireGpu && !gpu) return { candidate, ok: false, gpu, reason: `${pkg} loaded but no usable GPU was found` };
  return { candidate, ok: true, gpu, reason: gpu ? 'native TensorFlow on the GPU' : 'native TensorFlow on the CPU' };
}

const inNode = (): boolean => tf.env().getBool('IS_NODE');

// Applies the wasm options before tfjs-backend-wasm first starts (it reads both only then).
function configureWasm(options: InitBackendOptions): void {
  if (options.threads !== true) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (options.wasmPaths === undefined) return;
  try {
    setWasmPaths(options.wasmPaths);
  } catch (err) {
    // tfjs refuses a map missing a binary, and any paths once its backend has failed to start.
    throw new ConfigError('wasmPaths', err instanceof Error ? err.message : String(err));
  }
}

// What tfjs's own wasm kernels run on: its threaded build (as many threads as tfjs chose), or one thread and why.
async function wasmDescription(threads: boolean): Promise<string> {
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  const wasm = `WebAssembly${simd ? ' with SIMD' : ''}`;
  // tfjs starts its threaded build exactly when both flags hold (and no single .wasm path was forced).
  if (simd && (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true) {
    const n = getThreadsCount();
    return `${wasm}, tfjs's threaded build on ${n} thread${n === 1 ? '' : 's'}`;
  }
  let why = 'no WebAssembly SIMD here';
  if (inNode()) why = 'tfjs-backend-wasm has no threaded build in Node';
  else if (!threads) why = 'initBackend option threads: false';
  else if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== true) why = 'not cross-origin isolated: no SharedArrayBuffer';
  else if (simd) why = 'WebAssembly threads unsupported here';
  return `${wasm}, tfjs's kernels on 1 thread (${why})`;
}

async function trySimple(name: 'wasm' | 'cpu', options: InitBackendOptions = {}): Promise<BackendAttempt> {
  try {
    if (await tf.setBackend(name)) {
      await tf.ready();
      if (name === 'cpu') return { candidate: name, ok: true, reason: 'plain JavaScript reference backend' };
      let kernels: string;
      try {
        const replaced = await registerWasmKernels();
        const n = await wasmKernelThreads();
        kernels = `deitjs kernels for ${replaced.join(', ')} (matMul on ${n} thread${n === 1 ? '' : 's'})`;
      } catch (err) {
        // The backend works without the SIMD kernels, only slower; the composite ones were registered before.
        const why = err instanceof Error ? err.message : String(err);
        kernels = `deitjs kernels for ${COMPOSITE_WASM_KERNELS.join(', ')} only, tfjs's own for the rest (deitjs's SIMD kernels failed to load: ${why})`;
      }
      return { candidate: name, ok: true, reason: `${await wasmDescription(options.threads === true)}; ${kernels}` };
    }
    return { candidate: name, ok: false, reason: `the ${name} backend did not initialise` };
  } catch (err) {
    return { candidate: name, ok: false, reason: `the ${name} backend failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/**
 * Selects and initialises the TF.js backend. `auto` tries `@tensorflow/tfjs-node-gpu` (with a usable GPU),
 * then `@tensorflow/tfjs-node`, then `wasm`, then `cpu`. The default choice comes from `DEIT_BACKEND`.
 * An explicit choice that cannot start throws a {@link ConfigError}. In a browser, pass `wasmPaths` where a bundler
 * moved the `.wasm` files; see {@link InitBackendOptions} for `threads`.
 */
export async function initBackend(choice: BackendChoice = defaultChoice(), options: InitBackendOptions = {}): Promise<BackendReport> {
  const attempts: BackendAttempt[] = [];
  const done = (gpu = false): BackendReport => {
    silenceCpuBanner();
    return { backend: tf.getBackend(), gpu, attempts };
  };
  if (choice === 'auto' || choice === 'tensorflow') {
    const gpuTry = await tryNative('@tensorflow/tfjs-node-gpu', choice === 'auto');
    attempts.push(gpuTry);
    if (gpuTry.ok) return done(gpuTry.gpu);
    const cpuTry = await tryNative('@tensorflow/tfjs-node', false);
    attempts.push(cpuTry);
    if (cpuTry.ok) return done(false);
    if (choice === 'tensorflow') throw new ConfigError('backend', `tensorflow is not available: ${attempts.map((a) => a.reason).join('; ')}`);
  }
  const simple = choice === 'auto' ? (['wasm', 'cpu'] as const) : [choice as 'wasm' | 'cpu'];
  if (simple[0] === 'wasm') configureWasm(options);
  for (const name of simple) {
    // Starting wasm instantiates Emscripten's module, whose process error listeners would take over the user's crashes.
    const a = await (name === 'wasm' ? keepNodeErrorExit(() => trySimple(name, options)) : trySimple(name));
    attempts.push(a);
    if (a.ok) return done(false);
  }
  throw new ConfigError('backend', `no backend could start: ${attempts.map((a) => `${a.candidate}: ${a.reason}`).join('; ')}`);
}

// `DEIT_BACKEND` where there is a process environment (Node), else auto.
function defaultChoice(): BackendChoice {
  const env = typeof process === 'undefined' ? undefined : process.env?.DEIT_BACKEND;
  return parseBackendChoice(env ?? 'auto', 'DEIT_BACKEND');
}

// The cpu backend prints a multi-line "install tfjs-node" banner on first use in Node; we report the
// backend choice ourselves (with the reason), so the banner is only noise in CLI output.
function silenceCpuBanner(): void {
  const cpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
  if (cpu !== null && typeof cpu.firstUse === 'boolean') cpu.firstUse = false;
}

/** A one-paragraph human summary of a {@link BackendReport}. */
export function describeBackend(report: BackendReport): string {
  const chosen = report.attempts.find((a) => a.ok);
  const skipped = report.attempts.filter((a) => !a.ok).map((a) => `${a.candidate} skipped: ${a.reason}`);
  return [`backend: ${report.backend}${chosen ? ` (${chosen.reason})` : ''}`, ...skipped].join('\n');
}
