/** Element types a checkpoint file can hold (safetensors names). */
export type FileDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** Typed arrays a host tensor can be held in. */
export type HostArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int16Array | Int8Array | Uint16Array;

/** One tensor held in host memory, in the file's layout (PyTorch's for checkpoints). */
export interface HostTensor {
  /** The element type as stored in the file. */
  dtype: FileDType;
  /** The shape (row-major, C order). */
  shape: number[];
  /** The elements; F16/BF16 are held as raw Uint16 bits, I64 as BigInt64. */
  data: HostArray;
}

/** A state dict: tensor name → tensor, in file order. */
export type StateDict = Map<string, HostTensor>;

/** Bytes per element of each file dtype. */
export const DTYPE_BYTES: Readonly<Record<FileDType, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

/** The typed-array class each file dtype is held in (F16/BF16 as raw Uint16 bits, BOOL as bytes). */
export const ARRAY_OF_DTYPE: Readonly<Record<FileDType, { new (n: number): HostArray; name: string }>> = {
  F64: Float64Array,
  F32: Float32Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I64: BigInt64Array,
  I32: Int32Array,
  I16: Int16Array,
  I8: Int8Array,
  U8: Uint8Array,
  BOOL: Uint8Array,
};

/** Number of elements of a shape (1 for a scalar). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Decodes one IEEE half-precision value from its 16 bits. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f === 0 ? s * Infinity : Number.NaN;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** The elements of a host tensor as float32 (floats widened or narrowed, integers converted). */
export function toFloat32(t: HostTensor): Float32Array {
  const d = t.data;
  if (d instanceof Float32Array) return d;
  const n = d.length;
  const out = new Float32Array(n);
  if (t.dtype === 'F16') {
    for (let i = 0; i < n; i++) out[i] = halfToFloat((d as Uint16Array)[i]!);
  } else if (t.dtype === 'BF16') {
    const u32 = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) u32[i] = (d as Uint16Array)[i]! << 16;
  } else if (d instanceof BigInt64Array) {
    for (let i = 0; i < n; i++) out[i] = Number(d[i]!);
  } else {
    for (let i = 0; i < n; i++) out[i] = d[i] as number;
  }
  return out;
}

/** A float32 host tensor from a shape and its elements. */
export function f32(shape: number[], data: Float32Array): HostTensor {
  return { dtype: 'F32', shape, data };
}
