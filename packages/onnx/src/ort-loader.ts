import { DeitError } from '@deitjs/core';

/** The parts of an onnxruntime tensor that deitjs uses (structural, so the package types need not be installed). */
export interface OrtTensorLike {
  /** The elements (a Float32Array for float32 tensors). */
  readonly data: unknown;
  /** The shape. */
  readonly dims: readonly number[];
  /** The element type name (`float32`, …). */
  readonly type: string;
}

/** Session options deitjs passes to onnxruntime. */
export interface OrtSessionOptionsLike {
  /** Threads of the intra-op pool (0 = ONNX Runtime's own count, which can be too low; deitjs passes `physicalCores()`). */
  intraOpNumThreads?: number;
  /** Threads of the inter-op pool. */
  interOpNumThreads?: number;
  /** `disabled`, `basic`, `extended` or `all`. */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Execution providers, in order of preference. */
  executionProviders?: string[];
  /** Session config entries, nested by dotted key (e.g. `{ session: { intra_op: { allow_spinning: '0' } } }`). */
  extra?: Record<string, unknown>;
}

/**
 * The session config that sets whether the intra-op threads spin between runs. Spinning keeps a pool's threads busy
 * after each run; with two sessions taking turns on the same cores (a teacher beside the training step), each pool's
 * spinning takes CPU from the other's run.
 */
export function spinningOptions(allowSpinning: boolean | undefined): Pick<OrtSessionOptionsLike, 'extra'> {
  return allowSpinning === undefined ? {} : { extra: { session: { intra_op: { allow_spinning: allowSpinning ? '1' : '0' } } } };
}

/** The parts of an onnxruntime `InferenceSession` that deitjs uses. */
export interface OrtSessionLike {
  /** Names of the graph inputs. */
  readonly inputNames: readonly string[];
  /** Names of the graph outputs. */
  readonly outputNames: readonly string[];
  /** Input names, types and shapes (symbolic axes as strings); onnxruntime ≥ 1.21. */
  readonly inputMetadata?: ReadonlyArray<{ readonly name: string; readonly isTensor: boolean; readonly shape?: ReadonlyArray<number | string> }>;
  /** Runs the graph. */
  run(feeds: Record<string, OrtTensorLike>): Promise<Record<string, OrtTensorLike>>;
  /** Frees the native session. */
  release(): Promise<void>;
}

/** The parts of the `onnxruntime-node` (or `onnxruntime-web`) module that deitjs uses. */
export interface OrtModuleLike {
  /** `InferenceSession.create(pathOrBytes, options)`. */
  InferenceSession: { create(model: string | Uint8Array, options?: OrtSessionOptionsLike): Promise<OrtSessionLike> };
  /** `new Tensor('float32', data, dims)`. */
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensorLike;
}

/** How to load onnxruntime. */
export interface OrtLoadOptions {
  /** The package to import (default `onnxruntime-node`; `onnxruntime-web` has the same API). */
  packageName?: string;
  /** The dynamic import to use (default the runtime's own `import()`); for bundlers and tests. */
  importer?: (specifier: string) => Promise<unknown>;
}

/** The default onnxruntime package, an optional peer dependency of @deitjs/onnx. */
export const ORT_PACKAGE = 'onnxruntime-node';

/** onnxruntime could not be loaded: names the package and how to install it. */
export class OrtUnavailableError extends DeitError {
  /** The package that failed to load. */
  readonly packageName: string;
  constructor(packageName: string, message: string, cause: unknown) {
    super('E_ORT_UNAVAILABLE', message, { cause });
    this.packageName = packageName;
  }
}

const nativeImport = (specifier: string): Promise<unknown> => import(specifier);

function isModuleNotFound(err: unknown, packageName: string): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (module|package)/.test(message)) && message.includes(packageName);
}

function asOrtModule(mod: unknown): OrtModuleLike | undefined {
  // A CommonJS package imported from ESM may put its exports on `default` only.
  for (const m of [mod, (mod as { default?: unknown } | null)?.default]) {
    const o = m as Partial<OrtModuleLike> | null | undefined;
    if (typeof o?.InferenceSession?.create === 'function' && typeof o.Tensor === 'function') return o as OrtModuleLike;
  }
  return undefined;
}

const loaded = new Map<string, Promise<OrtModuleLike>>();

/**
 * Imports onnxruntime lazily (once per package name): @deitjs/onnx works without it until a model is run. Throws
 * {@link OrtUnavailableError} naming the package when it is not installed, fails to load (e.g. its native library)
 * or does not look like onnxruntime.
 */
export function loadOrt(options: OrtLoadOptions = {}): Promise<OrtModuleLike> {
  const packageName = options.packageName ?? ORT_PACKAGE;
  const importer = options.importer ?? nativeImport;
  const cached = options.importer === undefined ? loaded.get(packageName) : undefined;
  if (cached !== undefined) return cached;
  const promise = importer(packageName).then(
    (mod) => {
      const ort = asOrtModule(mod);
      if (ort === undefined) {
        throw new OrtUnavailableError(packageName, `${packageName} was imported but has no InferenceSession/Tensor: is it onnxruntime?`, undefined);
      }
      return ort;
    },
    (err: unknown) => {
      if (isModuleNotFound(err, packageName)) {
        throw new OrtUnavailableError(
          packageName,
          `${packageName} is not installed: running models on ONNX Runtime needs it (an optional peer dependency of @deitjs/onnx): npm install ${packageName}`,
          err,
        );
      }
      throw new OrtUnavailableError(packageName, `${packageName} could not be loaded: ${err instanceof Error ? err.message : String(err)}`, err);
    },
  );
  if (options.importer === undefined) {
    loaded.set(packageName, promise);
    promise.catch(() => loaded.delete(packageName));
  }
  return promise;
}
