import type { HostTensor } from './tensor-data.js';
import { ShapeError } from './errors.js';
import { toFloat32, numel } from './tensor-data.js';

/**
 * How a parameter is laid out in a PyTorch file versus in TF.js:
 * `as-is` (vectors, tokens, embeddings), `linear` ([out,in] ↔ [in,out]), `conv2d` (OIHW ↔ HWIO).
 */
export type Layout = 'as-is' | 'linear' | 'conv2d';

/** Permutes a row-major array of `shape` by `perm` (numpy transpose semantics). */
export function permute(data: Float32Array, shape: readonly number[], perm: readonly number[]): { data: Float32Array; shape: number[] } {
  const rank = shape.length;
  if (perm.length !== rank) throw new ShapeError('perm', `rank ${perm.length} does not match shape [${shape.join(',')}]`);
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= shape[i]!;
  }
  const strideOfOut = perm.map((p) => inStrides[p]!);
  const out = new Float32Array(data.length);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = data[src]!;
    for (let ax = rank - 1; ax >= 0; ax--) {
      idx[ax]!++;
      src += strideOfOut[ax]!;
      if (idx[ax]! < outShape[ax]!) break;
      src -= strideOfOut[ax]! * outShape[ax]!;
      idx[ax] = 0;
    }
  }
  return { data: out, shape: outShape };
}

/** PyTorch Linear weight [out, in] → TF.js matMul kernel [in, out]. */
export function linearToTf(data: Float32Array, shape: readonly number[]): { data: Float32Array; shape: number[] } {
  if (shape.length !== 2) throw new ShapeError('linear weight', `expected [out, in], got [${shape.join(',')}]`);
  return permute(data, shape, [1, 0]);
}

/** PyTorch Conv2d weight [out, in, kh, kw] → TF.js conv2d filter [kh, kw, in, out]. */
export function convOihwToHwio(data: Float32Array, shape: readonly number[]): { data: Float32Array; shape: number[] } {
  if (shape.length !== 4) throw new ShapeError('conv weight', `expected [out, in, kh, kw], got [${shape.join(',')}]`);
  return permute(data, shape, [2, 3, 1, 0]);
}

/** TF.js conv2d filter [kh, kw, in, out] → PyTorch [out, in, kh, kw]. */
export function convHwioToOihw(data: Float32Array, shape: readonly number[]): { data: Float32Array; shape: number[] } {
  if (shape.length !== 4) throw new ShapeError('conv filter', `expected [kh, kw, in, out], got [${shape.join(',')}]`);
  return permute(data, shape, [3, 2, 0, 1]);
}

/** NCHW images (PyTorch) → NHWC (TF.js). */
export function nchwToNhwc(data: Float32Array, shape: readonly number[]): { data: Float32Array; shape: number[] } {
  if (shape.length !== 4) throw new ShapeError('images', `expected [N, C, H, W], got [${shape.join(',')}]`);
  return permute(data, shape, [0, 2, 3, 1]);
}

/** NHWC (TF.js) → NCHW (PyTorch). */
export function nhwcToNchw(data: Float32Array, shape: readonly number[]): { data: Float32Array; shape: number[] } {
  if (shape.length !== 4) throw new ShapeError('images', `expected [N, H, W, C], got [${shape.join(',')}]`);
  return permute(data, shape, [0, 3, 1, 2]);
}

/** The TF.js shape of a parameter whose PyTorch shape is `shape`. */
export function tfShapeOf(layout: Layout, shape: readonly number[]): number[] {
  if (layout === 'linear') return [shape[1]!, shape[0]!];
  if (layout === 'conv2d') return [shape[2]!, shape[3]!, shape[1]!, shape[0]!];
  return [...shape];
}

/** Converts a file tensor (PyTorch layout, any float dtype) to TF.js layout float32 data. */
export function fromTorchLayout(layout: Layout, t: HostTensor): { data: Float32Array; shape: number[] } {
  const data = toFloat32(t);
  if (layout === 'linear') return linearToTf(data, t.shape);
  if (layout === 'conv2d') return convOihwToHwio(data, t.shape);
  return { data, shape: [...t.shape] };
}

/** Converts TF.js-layout float32 data back to a PyTorch-layout F32 host tensor. */
export function toTorchLayout(layout: Layout, data: Float32Array, tfShape: readonly number[]): HostTensor {
  if (numel(tfShape) !== data.length) throw new ShapeError('tensor', `shape [${tfShape.join(',')}] does not hold ${data.length} elements`);
  const r =
    layout === 'linear' ? permute(data, tfShape, [1, 0]) : layout === 'conv2d' ? convHwioToOihw(data, tfShape) : { data, shape: [...tfShape] };
  return { dtype: 'F32', shape: r.shape, data: r.data };
}
