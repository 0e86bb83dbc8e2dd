import { KERNELS_WASM_BASE64 } from './kernels-wasm.js';

// The slice of the WebAssembly JS API used here, typed locally: core compiles without the DOM lib.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
interface WasmApi {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: WasmInstance }>;
}

/** The exports of deitjs's own WebAssembly SIMD kernels (packages/core/kernels-src). */
export interface KernelExports {
  memory: WasmMemory;
  __heap_base: { readonly value: number };
  pack_a_floats(): number;
  pack_b_floats(): number;
  exp_f32(x: number, y: number, n: number): void;
  erf_f32(x: number, y: number, n: number): void;
  gemm(m: number, n: number, k: number, a: number, rsa: number, csa: number, b: number, rsb: number, csb: number, c: number, ldc: number, pa: number, pb: number): void;
}

/**
 * deitjs's kernel module with a bump layout of its linear memory: fixed packing scratch after the
 * module's heap base, then per-call operand regions that are reused (and the memory grown) as needed.
 */
export class KernelModule {
  readonly exports: KernelExports;
  /** Byte offset of the GEMM A-packing scratch. */
  readonly packA: number;
  /** Byte offset of the GEMM B-packing scratch. */
  readonly packB: number;
  private readonly scratchEnd: number;

  constructor(instance: WasmInstance) {
    this.exports = instance.exports as unknown as KernelExports;
    const base = align(Number(this.exports.__heap_base.value));
    this.packA = base;
    this.packB = align(this.packA + 4 * this.exports.pack_a_floats());
    this.scratchEnd = align(this.packB + 4 * this.exports.pack_b_floats());
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
    const mem = this.exports.memory;
    if (end > mem.buffer.byteLength) mem.grow(Math.ceil((end - mem.buffer.byteLength) / 65536));
    return offsets;
  }

  /** A float32 view of the module's memory (re-fetch after {@link regions}: growing replaces the buffer). */
  f32(offset: number, length: number): Float32Array {
    return new Float32Array(this.exports.memory.buffer, offset, length);
  }
}

function align(n: number): number {
  return (n + 15) & ~15;
}

let loading: Promise<KernelModule> | undefined;

/** Compiles and instantiates the embedded kernel module once per process. */
export function loadKernelModule(): Promise<KernelModule> {
  loading ??= (async () => {
    const bytes = decodeBase64(KERNELS_WASM_BASE64);
    const { instance } = await (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly.instantiate(bytes, {});
    return new KernelModule(instance);
  })();
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
