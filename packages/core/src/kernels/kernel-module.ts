import { KERNELS_WASM_BASE64 } from './kernels-wasm.js';

// The slice of the WebAssembly JS API used here, typed locally: core compiles without the DOM lib.
interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}
interface WasmModule {
  readonly __brand?: 'WebAssembly.Module';
}
interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
interface WasmApi {
  Memory: new (desc: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: object): Promise<WasmInstance>;
}
// The few node:worker_threads members used, typed locally for the same reason.
interface WorkerLike {
  once(event: 'message' | 'error', listener: (value: unknown) => void): void;
  unref(): void;
  terminate(): Promise<number>;
}
type WorkerCtor = new (code: string, options: { eval: true; workerData: unknown }) => WorkerLike;

/** The exports of deitjs's own WebAssembly SIMD kernels (packages/core/kernels-src). */
export interface KernelExports {
  __heap_base: { readonly value: number };
  pack_a_floats(): number;
  pack_b_floats(): number;
  exp_f32(x: number, y: number, n: number): void;
  erf_f32(x: number, y: number, n: number): void;
  sum_middle(x: number, out: number, acc: number, outer: number, red: number, inner: number): void;
  gemm_tasks(tasks: number, first: number, count: number, k: number, rsa: number, csa: number, rsb: number, csb: number, ldc: number, pa: number, pb: number): void;
}

const MAX_PAGES = 32768; // 2 GiB, as linked (--max-memory).
const PARAMS = 11; // ints per worker in the control block: the gemm_tasks arguments.

// Each worker instantiates the module on the shared memory and runs its range of the task table whenever
// the generation counter (ctrl[0]) moves, then counts itself done (ctrl[1]). Kept as source text so it
// needs no file next to the bundle (ESM, CJS and vitest alike).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { module, memory, ctrl, index } = workerData;
const c = new Int32Array(ctrl);
WebAssembly.instantiate(module, { env: { memory } }).then((instance) => {
  const run = instance.exports.gemm_tasks;
  const p = 2 + index * ${PARAMS};
  let seen = Atomics.load(c, 0);
  parentPort.postMessage('ready');
  for (;;) {
    Atomics.wait(c, 0, seen);
    seen = Atomics.load(c, 0);
    if (c[p + 2] > 0) run(c[p], c[p + 1], c[p + 2], c[p + 3], c[p + 4], c[p + 5], c[p + 6], c[p + 7], c[p + 8], c[p + 9], c[p + 10]);
    Atomics.add(c, 1, 1);
    Atomics.notify(c, 1);
  }
});
`;

/**
 * deitjs's kernel module on one shared linear memory: per-thread GEMM scratch after the heap base, then
 * per-call regions reused (and the memory grown) as needed; GEMM task tables split across worker threads.
 */
export class KernelModule {
  readonly exports: KernelExports;
  private readonly memory: WasmMemory;
  private readonly module: WasmModule;
  private readonly scratch: { pa: number; pb: number }[] = [];
  private scratchEnd = 0;
  private workers: WorkerLike[] = [];
  private ctrl: Int32Array = new Int32Array(2);

  private constructor(module: WasmModule, instance: WasmInstance, memory: WasmMemory) {
    this.module = module;
    this.memory = memory;
    this.exports = instance.exports as unknown as KernelExports;
    this.layoutScratch(1);
  }

  /** Compiles and instantiates the embedded module on a fresh shared memory. */
  static async create(): Promise<KernelModule> {
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const module = await wasm.compile(decodeBase64(KERNELS_WASM_BASE64));
    const memory = new wasm.Memory({ initial: 32, maximum: MAX_PAGES, shared: true });
    return new KernelModule(module, await wasm.instantiate(module, { env: { memory } }), memory);
  }

  /** Threads that share GEMM work (this one plus the workers). */
  get threads(): number {
    return this.workers.length + 1;
  }

  /**
   * Uses `n` threads for GEMM (n − 1 worker threads; 1 = this thread only). Worker threads need
   * `node:worker_threads`; where it is missing (browsers) GEMM stays on this thread.
   */
  async setThreads(n: number): Promise<void> {
    if (n === this.threads) return;
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
    this.layoutScratch(n);
    if (n <= 1) return;
    let Worker: WorkerCtor;
    try {
      const name = 'node:worker_threads';
      ({ Worker } = (await import(name)) as { Worker: WorkerCtor });
    } catch {
      this.layoutScratch(1);
      return;
    }
    this.ctrl = new Int32Array(new SharedArrayBuffer(4 * (2 + (n - 1) * PARAMS)));
    const workers = Array.from({ length: n - 1 }, (_, index) => new Worker(WORKER_SOURCE, { eval: true, workerData: { module: this.module, memory: this.memory, ctrl: this.ctrl.buffer, index } }));
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            w.once('message', () => resolve());
            w.once('error', reject);
          }),
      ),
    );
    // Idle workers wait on an atomic forever; they must not keep the process alive.
    for (const w of workers) w.unref();
    this.workers = workers;
  }

  private layoutScratch(threads: number): void {
    this.scratch.length = 0;
    let end = align(Number(this.exports.__heap_base.value));
    for (let t = 0; t < threads; t++) {
      const pa = end;
      const pb = align(pa + 4 * this.exports.pack_a_floats());
      end = align(pb + 4 * this.exports.pack_b_floats());
      this.scratch.push({ pa, pb });
    }
    this.scratchEnd = end;
    this.ensure(end);
  }

  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / 65536));
  }

  /**
   * Reserves consecutive 16-byte-aligned regions of the given byte sizes after the scratch (growing the
   * memory when needed) and returns their byte offsets. Regions are only valid until the next call.
   */
  regions(...bytes: number[]): number[] {
    const offsets: number[] = [];
    let end = this.scratchEnd;
    for (const b of bytes) {
      offsets.push(end);
      end = align(end + b);
    }
    this.ensure(end);
    return offsets;
  }

  /** A float32 view of the module's memory (re-fetch after {@link regions}: growing replaces the buffer). */
  f32(offset: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, offset, length);
  }

  /** An int32 view of the module's memory. */
  i32(offset: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, offset, length);
  }

  /**
   * Runs `count` GEMM tasks from the table at byte offset `table` (see gemm_tasks in gemm.c), split in
   * contiguous ranges over the threads; returns when all are done. Each output element is computed by
   * one thread in the same order as on one thread, so results do not depend on the thread count.
   */
  gemmTasks(table: number, count: number, k: number, rsa: number, csa: number, rsb: number, csb: number, ldc: number): void {
    const threads = Math.min(this.threads, count);
    const share = (t: number) => Math.floor((count * t) / threads);
    if (threads > 1) {
      const c = this.ctrl;
      for (let w = 0; w < this.workers.length; w++) {
        const first = w + 1 < threads ? share(w + 1) : 0;
        const n = w + 1 < threads ? share(w + 2) - first : 0;
        const { pa, pb } = this.scratch[w + 1]!;
        c.set([table, first, n, k, rsa, csa, rsb, csb, ldc, pa, pb], 2 + w * PARAMS);
      }
      Atomics.store(c, 1, 0);
      Atomics.add(c, 0, 1);
      Atomics.notify(c, 0);
    }
    const { pa, pb } = this.scratch[0]!;
    this.exports.gemm_tasks(table, 0, share(1), k, rsa, csa, rsb, csb, ldc, pa, pb);
    if (threads > 1) {
      const c = this.ctrl;
      for (let done = Atomics.load(c, 1); done < this.workers.length; done = Atomics.load(c, 1)) Atomics.wait(c, 1, done);
    }
  }
}

function align(n: number): number {
  return (n + 15) & ~15;
}

let loading: Promise<KernelModule> | undefined;

/** Compiles and instantiates the embedded kernel module once per process. */
export function loadKernelModule(): Promise<KernelModule> {
  loading ??= KernelModule.create();
  return loading;
}

function decodeBase64(text: string): Uint8Array {
  // Buffer in Node; atob in browsers and workers.
  const g = globalThis as { Buffer?: { from(s: string, enc: 'base64'): Uint8Array } };
  if (g.Buffer !== undefined) return new Uint8Array(g.Buffer.from(text, 'base64'));
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
