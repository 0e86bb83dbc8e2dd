// Forward and closed-form backward of DeiT's layers as ONNX nodes, on the residual stream held as 2-D `[B·T, D]`
// (every Linear is one Gemm, as in the TF.js layers). Each forward returns what its backward needs; the backward
// mirrors the custom gradients of @deitjs/encoder (same formulas, same order of operations where it matters).
import type { GraphBuilder } from './graph.js';

/** Parameter-gradient outputs collected while the backward pass is built: PyTorch name → tensor name. */
export type GradSink = Map<string, string>;

const LN_EPS = 1e-6;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Sum over the rows of a 2-D tensor (a bias gradient). */
export function sumRows(g: GraphBuilder, x: string, scope: string): string {
  return g.op('ReduceSum', [x, g.int64([0])], { keepdims: 0 }, scope);
}

/** `a · b` (2-D) with optional transposes, through Gemm (no Transpose node). */
export function gemm(g: GraphBuilder, a: string, b: string, scope: string, transA = 0, transB = 0): string {
  return g.op('Gemm', [a, b], { transA, transB }, scope);
}

/** Reshape to a constant shape (0 keeps, −1 infers). */
export function reshape(g: GraphBuilder, x: string, shape: number[], scope: string): string {
  return g.op('Reshape', [x, g.int64(shape)], {}, scope);
}

/** A Linear `x·W + b` on 2-D `x` with the weight in TF.js layout `[in, out]`. */
export interface LinearSaved {
  x: string;
  w: string;
  prefix: string;
}

/** Forward of a Linear (weight `[in, out]`, bias `[out]`). */
export function linearForward(g: GraphBuilder, x: string, prefix: string): { y: string; saved: LinearSaved } {
  const w = `${prefix}.weight`;
  return { y: g.op('Gemm', [x, w, `${prefix}.bias`], {}, prefix), saved: { x, w, prefix } };
}

/** Backward of a Linear: records dW = xᵀ·dy and db = Σ dy; returns dx = dy·Wᵀ. */
export function linearBackward(g: GraphBuilder, dy: string, s: LinearSaved, grads: GradSink): string {
  grads.set(`${s.prefix}.weight`, gemm(g, s.x, dy, `${s.prefix}/grad`, 1, 0));
  grads.set(`${s.prefix}.bias`, sumRows(g, dy, `${s.prefix}/grad`));
  return gemm(g, dy, s.w, `${s.prefix}/grad`, 0, 1);
}

/** What LayerNorm's backward needs: its input and the statistics LayerNormalization returns. */
export interface LayerNormSaved {
  x: string;
  mean: string;
  rstd: string;
  prefix: string;
}

/** LayerNorm over the last axis (eps 1e-6): one LayerNormalization node that also returns mean and 1/σ. */
export function layerNormForward(g: GraphBuilder, x: string, prefix: string): { y: string; saved: LayerNormSaved } {
  const [y, mean, rstd] = g.opMulti('LayerNormalization', [x, `${prefix}.weight`, `${prefix}.bias`], 3, { axis: -1, epsilon: LN_EPS }, prefix, ['epsilon']);
  return { y: y!, saved: { x, mean: mean!, rstd: rstd!, prefix } };
}

/** dx = (g − mean(g) − x̂·mean(g·x̂))/σ with g = dy·w; dw = Σ dy·x̂, db = Σ dy (x̂ recomputed from the saved statistics). */
export function layerNormBackward(g: GraphBuilder, dy: string, s: LayerNormSaved, grads: GradSink): string {
  const scope = `${s.prefix}/grad`;
  const xhat = g.op('Mul', [g.op('Sub', [s.x, s.mean], {}, scope), s.rstd], {}, scope);
  const gw = g.op('Mul', [dy, `${s.prefix}.weight`], {}, scope);
  const meanLast = (t: string) => g.op('ReduceMean', [t], { axes: [-1], keepdims: 1 }, scope);
  const proj = g.op('Mul', [xhat, meanLast(g.op('Mul', [gw, xhat], {}, scope))], {}, scope);
  const dx = g.op('Mul', [g.op('Sub', [g.op('Sub', [gw, meanLast(gw)], {}, scope), proj], {}, scope), s.rstd], {}, scope);
  grads.set(`${s.prefix}.weight`, sumRows(g, g.op('Mul', [dy, xhat], {}, scope), scope));
  grads.set(`${s.prefix}.bias`, sumRows(g, dy, scope));
  return dx;
}

/** Shapes of the attention: tokens per sample, width, heads. */
export interface AttentionDims {
  tokens: number;
  dim: number;
  heads: number;
}

/** What the attention's backward needs. */
export interface AttentionSaved {
  qkv: LinearSaved;
  proj: LinearSaved;
  qs: string;
  k: string;
  v: string;
  p: string;
  scale: string;
  prefix: string;
}

/** timm's fused-qkv attention on `[B·T, D]`: q·scale, softmax(q·kᵀ), ·v, heads merged, proj. */
export function attentionForward(g: GraphBuilder, x: string, prefix: string, d: AttentionDims): { y: string; saved: AttentionSaved } {
  const hd = d.dim / d.heads;
  const qkv = linearForward(g, x, `${prefix}.qkv`);
  // [B·T, 3D] → [B, T, 3H, hd] → [B, 3H, T, hd]: the first H heads are q, the next H k, the last H v.
  const heads = g.op('Transpose', [reshape(g, qkv.y, [-1, d.tokens, 3 * d.heads, hd], prefix)], { perm: [0, 2, 1, 3] }, prefix);
  const [q, k, v] = g.opMulti('Split', [heads, g.int64([d.heads, d.heads, d.heads])], 3, { axis: 1 }, prefix) as [string, string, string];
  const scale = g.scalar(hd ** -0.5);
  const qs = g.op('Mul', [q, scale], {}, prefix);
  const p = g.op('Softmax', [g.op('MatMul', [qs, g.op('Transpose', [k], { perm: [0, 1, 3, 2] }, prefix)], {}, prefix)], { axis: -1 }, prefix);
  const merged = reshape(g, g.op('Transpose', [g.op('MatMul', [p, v], {}, prefix)], { perm: [0, 2, 1, 3] }, prefix), [-1, d.dim], prefix);
  const proj = linearForward(g, merged, `${prefix}.proj`);
  return { y: proj.y, saved: { qkv: qkv.saved, proj: proj.saved, qs, k, v, p, scale, prefix } };
}

/** The attention's backward (as @deitjs/encoder's): softmax backward P·dP − Σ(P·dP)·P over the keys. */
export function attentionBackward(g: GraphBuilder, dy: string, s: AttentionSaved, d: AttentionDims, grads: GradSink): string {
  const scope = `${s.prefix}/grad`;
  const hd = d.dim / d.heads;
  const t = (x: string) => g.op('Transpose', [x], { perm: [0, 1, 3, 2] }, scope);
  const dMerged = linearBackward(g, dy, s.proj, grads);
  const dO = g.op('Transpose', [reshape(g, dMerged, [-1, d.tokens, d.heads, hd], scope)], { perm: [0, 2, 1, 3] }, scope);
  const dV = g.op('MatMul', [t(s.p), dO], {}, scope);
  const pdP = g.op('Mul', [g.op('MatMul', [dO, t(s.v)], {}, scope), s.p], {}, scope);
  const dS = g.op('Sub', [pdP, g.op('Mul', [g.op('ReduceSum', [pdP, g.int64([-1])], { keepdims: 1 }, scope), s.p], {}, scope)], {}, scope);
  const dQ = g.op('Mul', [g.op('MatMul', [dS, s.k], {}, scope), s.scale], {}, scope);
  const dK = g.op('MatMul', [t(dS), s.qs], {}, scope);
  const dHeads = g.op('Concat', [dQ, dK, dV], { axis: 1 }, scope);
  const dQkv = reshape(g, g.op('Transpose', [dHeads], { perm: [0, 2, 1, 3] }, scope), [-1, 3 * d.dim], scope);
  return linearBackward(g, dQkv, s.qkv, grads);
}

/** What the MLP's backward needs. */
export interface MlpSaved {
  fc1: LinearSaved;
  fc2: LinearSaved;
  a: string;
  prefix: string;
}

/** fc1 → exact GELU (the Div/Erf/Add/Mul/Mul form ONNX Runtime fuses) → fc2. */
export function mlpForward(g: GraphBuilder, x: string, prefix: string): { y: string; saved: MlpSaved } {
  const fc1 = linearForward(g, x, `${prefix}.fc1`);
  const a = fc1.y;
  const scope = `${prefix}.act`;
  const erf = g.op('Erf', [g.op('Div', [a, g.scalar(Math.SQRT2)], {}, scope)], {}, scope);
  const h = g.op('Mul', [g.op('Mul', [a, g.op('Add', [erf, g.scalar(1)], {}, scope)], {}, scope), g.scalar(0.5)], {}, scope);
  const fc2 = linearForward(g, h, `${prefix}.fc2`);
  return { y: fc2.y, saved: { fc1: fc1.saved, fc2: fc2.saved, a, prefix } };
}

/** MLP backward: GELU′(a) = 0.5·(1 + erf(a/√2)) + a·φ(a), erf recomputed so the forward's GELU still fuses. */
export function mlpBackward(g: GraphBuilder, dy: string, s: MlpSaved, grads: GradSink): string {
  const scope = `${s.prefix}.act/grad`;
  const dh = linearBackward(g, dy, s.fc2, grads);
  const erf = g.op('Erf', [g.op('Mul', [s.a, g.scalar(Math.SQRT1_2)], {}, scope)], {}, scope);
  const phi = g.op('Mul', [g.op('Exp', [g.op('Mul', [g.op('Mul', [s.a, s.a], {}, scope), g.scalar(-0.5)], {}, scope)], {}, scope), g.scalar(INV_SQRT_2PI)], {}, scope);
  const cdf = g.op('Mul', [g.op('Add', [erf, g.scalar(1)], {}, scope), g.scalar(0.5)], {}, scope);
  const deriv = g.op('Add', [cdf, g.op('Mul', [s.a, phi], {}, scope)], {}, scope);
  return linearBackward(g, g.op('Mul', [dh, deriv], {}, scope), s.fc1, grads);
}
