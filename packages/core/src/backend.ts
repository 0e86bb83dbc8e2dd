import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
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

async function trySimple(name: 'wasm' | 'cpu'): Promise<BackendAttempt> {
  try {
    if (await tf.setBackend(name)) {
      await tf.ready();
      if (name === 'cpu') return { candidate: name, ok: true, reason: 'plain JavaScript reference backend' };
      let kernels: string;
      try {
        const replaced = await registerWasmKernels();
        kernels = `deitjs kernels for ${replaced.join(', ')} (matMul on ${await wasmKernelThreads()} threads)`;
      } catch (err) {
        // The backend works without the SIMD kernels, only slower; the composite ones were registered before.
        const why = err instanceof Error ? err.message : String(err);
        kernels = `deitjs kernels for ${COMPOSITE_WASM_KERNELS.join(', ')} only, tfjs's own for the rest (deitjs's SIMD kernels failed to load: ${why})`;
      }
      return { candidate: name, ok: true, reason: `WebAssembly with SIMD (tfjs's kernels on one thread in Node); ${kernels}` };
    }
    return { candidate: name, ok: false, reason: `the ${name} backend did not initialise` };
  } catch (err) {
    return { candidate: name, ok: false, reason: `the ${name} backend failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/**
 * Selects and initialises the TF.js backend. `auto` tries `@tensorflow/tfjs-node-gpu` (with a usable GPU),
 * then `@tensorflow/tfjs-node`, then `wasm`, then `cpu`. The default choice comes from `DEIT_BACKEND`.
 * An explicit choice that cannot start throws a {@link ConfigError}.
 */
export async function initBackend(choice: BackendChoice = parseBackendChoice(process.env.DEIT_BACKEND ?? 'auto', 'DEIT_BACKEND')): Promise<BackendReport> {
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
  for (const name of choice === 'auto' ? (['wasm', 'cpu'] as const) : [choice as 'wasm' | 'cpu']) {
    // Starting wasm instantiates Emscripten's module, whose process error listeners would take over the user's crashes.
    const a = await (name === 'wasm' ? keepNodeErrorExit(() => trySimple(name)) : trySimple(name));
    attempts.push(a);
    if (a.ok) return done(false);
  }
  throw new ConfigError('backend', `no backend could start: ${attempts.map((a) => `${a.candidate}: ${a.reason}`).join('; ')}`);
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
