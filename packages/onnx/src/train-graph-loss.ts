// The training loss of @deitjs/losses (deit's DistillationLoss over a soft-target cross-entropy base) and its
// closed-form gradients with respect to the two heads' logits, as ONNX nodes.
import { ConfigError } from '@deitjs/core';
import type { GraphBuilder } from './graph.js';

/** deit's base criterion as the ONNX engine computes it (`bce`: deit's `--bce-loss`, BCEWithLogits on binarised targets). */
export type TrainingBaseLoss = 'cross-entropy' | 'label-smoothing' | 'soft-target' | 'bce';

/** The loss of a training graph: what `distillationLoss({ base: baseCriterion(…), type, alpha, tau, reduction })` computes. */
export interface TrainingLossSpec {
  /** The base criterion on the class head: plain CE, timm's LabelSmoothingCrossEntropy, SoftTargetCrossEntropy (mixup) or BCE. */
  base: TrainingBaseLoss;
  /** Label smoothing ε of `'label-smoothing'` (default 0.1). */
  smoothing?: number;
  /** Distillation type (default `'none'`). */
  type?: 'none' | 'soft' | 'hard';
  /** Weight α of the distillation term (default 0.5). */
  alpha?: number;
  /** Soft distillation temperature (default 1). */
  tau?: number;
  /** Normalisation of the soft KL (default `'numel'`, deit's). */
  reduction?: 'numel' | 'batchmean';
}

/** A loss spec with every default filled in and checked. */
export type ResolvedLossSpec = Required<TrainingLossSpec>;

/** Fills the defaults and checks the ranges (ConfigError naming the option). */
export function resolveLossSpec(spec: TrainingLossSpec): ResolvedLossSpec {
  const r: ResolvedLossSpec = { smoothing: 0.1, type: 'none', alpha: 0.5, tau: 1, reduction: 'numel', ...spec };
  if (!['cross-entropy', 'label-smoothing', 'soft-target', 'bce'].includes(r.base)) throw new ConfigError('loss.base', `unsupported base loss "${r.base}" for the onnx engine`);
  if (!['none', 'soft', 'hard'].includes(r.type)) throw new ConfigError('loss.type', `unknown distillation type "${r.type}"`);
  if (!(r.smoothing >= 0 && r.smoothing < 1)) throw new ConfigError('loss.smoothing', `must be in [0, 1), got ${r.smoothing}`);
  if (!(r.alpha >= 0 && r.alpha <= 1)) throw new ConfigError('loss.alpha', `must be in [0, 1], got ${r.alpha}`);
  if (!(r.tau > 0 && Number.isFinite(r.tau))) throw new ConfigError('loss.tau', `must be a finite number > 0, got ${r.tau}`);
  if (r.reduction !== 'numel' && r.reduction !== 'batchmean') throw new ConfigError('loss.reduction', `unknown reduction "${r.reduction}"`);
  return r;
}

/** The loss scalars and the gradients of the total loss with respect to each head's logits. */
export interface LossNodes {
  total: string;
  base: string;
  distill?: string;
  dCls: string;
  /** Undefined when the dist head gets no gradient (type `'none'`). */
  dDist?: string;
}

/**
 * Builds the loss from `cls` (and `dist`) logits `[B, K]`, `targets` `[B, K]` (per-class: one-hot, smoothed or mixed,
 * as {@link targetMatrix} makes them, so every cross-entropy base loss is `−mean_b Σ_c t·log softmax`; binarised for
 * `bce`) and `teacher` logits.
 */
export function lossNodes(g: GraphBuilder, spec: ResolvedLossSpec, classes: number, cls: string, dist: string | undefined, targets: string, teacher: string | undefined): LossNodes {
  const s = 'loss';
  const batch = g.op('Cast', [g.op('Reshape', [g.op('Shape', [targets], { start: 0, end: 1 }, s), g.int64([])], {}, s)], { to: 1 }, s);
  const meanOverBatch = (t: string) => g.op('Div', [t, batch], {}, s);
  const sumAll = (t: string) => g.op('ReduceSum', [t], { keepdims: 0 }, s);
  const rowSum = (t: string) => g.op('ReduceSum', [t, g.int64([-1])], { keepdims: 1 }, s);
  // −Σ t·log p and its gradient p·Σ_c t − t, per sample, both divided by B.
  const ce = (logits: string, t: string) => {
    const lp = g.op('LogSoftmax', [logits], { axis: -1 }, s);
    const value = meanOverBatch(g.op('Neg', [sumAll(g.op('Mul', [t, lp], {}, s))], {}, s));
    const grad = meanOverBatch(g.op('Sub', [g.op('Mul', [g.op('Exp', [lp], {}, s), rowSum(t)], {}, s), t], {}, s));
    return { value, grad };
  };
  // BCEWithLogits, mean over B·K: softplus(x) − x·t = max(x,0) − x·t + log(1 + e^−|x|) (the stable form of
  // @deitjs/losses); its gradient is exactly (σ(x) − t)/(B·K).
  const bce = (logits: string, t: string) => {
    const n = g.op('Mul', [batch, g.scalar(classes)], {}, s);
    const soft = g.op('Softplus', [g.op('Neg', [g.op('Abs', [logits], {}, s)], {}, s)], {}, s);
    const elem = g.op('Add', [g.op('Sub', [g.op('Relu', [logits], {}, s), g.op('Mul', [logits, t], {}, s)], {}, s), soft], {}, s);
    const value = g.op('Div', [sumAll(elem), n], {}, s);
    const grad = g.op('Div', [g.op('Sub', [g.op('Sigmoid', [logits], {}, s), t], {}, s), n], {}, s);
    return { value, grad };
  };
  const base = spec.base === 'bce' ? bce(cls, targets) : ce(cls, targets);
  if (spec.type === 'none') return { total: base.value, base: base.value, dCls: base.grad };
  if (dist === undefined || teacher === undefined) throw new ConfigError('loss.type', `distillation type "${spec.type}" needs a distilled model and teacher logits`);
  const { alpha, tau } = spec;
  let kd: { value: string; grad: string };
  if (spec.type === 'hard') {
    const labels = g.op('ArgMax', [teacher], { axis: 1, keepdims: 0 }, s);
    const values = g.weight('loss/one_hot_values', [2], () => Float32Array.of(0, 1));
    kd = ce(dist, g.op('OneHot', [labels, g.int64([classes]), values], { axis: -1 }, s));
  } else {
    // τ²·Σ p_t·(log p_t − log p_s)/N; d/d dist = τ/N·(p_s·Σ p_t − p_t).
    const t = g.scalar(tau);
    const logPs = g.op('LogSoftmax', [g.op('Div', [dist, t], {}, s)], { axis: -1 }, s);
    const logPt = g.op('LogSoftmax', [g.op('Div', [teacher, t], {}, s)], { axis: -1 }, s);
    const pt = g.op('Exp', [logPt], {}, s);
    const n = spec.reduction === 'numel' ? g.op('Mul', [batch, g.scalar(classes)], {}, s) : batch;
    const kl = sumAll(g.op('Mul', [pt, g.op('Sub', [logPt, logPs], {}, s)], {}, s));
    const value = g.op('Div', [g.op('Mul', [kl, g.scalar(tau * tau)], {}, s), n], {}, s);
    const diff = g.op('Sub', [g.op('Mul', [g.op('Exp', [logPs], {}, s), rowSum(pt)], {}, s), pt], {}, s);
    kd = { value, grad: g.op('Div', [g.op('Mul', [diff, t], {}, s), n], {}, s) };
  }
  const w = (x: string, k: number) => g.op('Mul', [x, g.scalar(k)], {}, s);
  return {
    total: g.op('Add', [w(base.value, 1 - alpha), w(kd.value, alpha)], {}, s),
    base: base.value,
    distill: kd.value,
    dCls: w(base.grad, 1 - alpha),
    dDist: w(kd.grad, alpha),
  };
}

/**
 * The per-class target matrix `[B, K]` the graph takes: int labels one-hot, per-class targets as they are; with
 * `'label-smoothing'` then `(1 − ε)·t + ε/K` (timm's LabelSmoothingCrossEntropy, the same loss in closed form); with
 * `'bce'` per-class targets become `t > 0 ? 1 : 0` (deit engine.py's binarisation, @deitjs/losses' default threshold).
 */
export function targetMatrix(spec: ResolvedLossSpec, targets: Int32Array | Float32Array, batch: number, classes: number, isLabels: boolean): Float32Array {
  const out = new Float32Array(batch * classes);
  if (isLabels) {
    for (let b = 0; b < batch; b++) {
      const y = targets[b]!;
      if (!(Number.isInteger(y) && y >= 0 && y < classes)) throw new ConfigError('targets', `label ${y} of sample ${b} is not in [0, ${classes})`);
      out[b * classes + y] = 1;
    }
  } else if (spec.base === 'bce') {
    for (let i = 0; i < out.length; i++) out[i] = targets[i]! > 0 ? 1 : 0;
  } else {
    out.set(targets);
  }
  if (spec.base === 'label-smoothing' && spec.smoothing > 0) {
    const eps = spec.smoothing;
    for (let i = 0; i < out.length; i++) out[i] = (1 - eps) * out[i]! + eps / classes;
  }
  return out;
}

/** deit main.py's loss options (as `baseCriterion` and `distillationLoss` of @deitjs/losses take them). */
export interface DeitLossOptions {
  /** Mixup or CutMix active. */
  mixup: boolean;
  /** Label smoothing ε. */
  smoothing: number;
  /** `--bce-loss`: BCE on binarised targets (takes precedence over mixup and smoothing, as in main.py). */
  bceLoss?: boolean;
  /** Distillation type. */
  type: 'none' | 'soft' | 'hard';
  /** Distillation weight α. */
  alpha?: number;
  /** Soft distillation temperature. */
  tau?: number;
}

/** The training graph's loss for deit's options, picking the base criterion as `baseCriterion` does. */
export function trainingLossSpec(o: DeitLossOptions): TrainingLossSpec {
  const base: TrainingBaseLoss = o.bceLoss ? 'bce' : o.mixup ? 'soft-target' : o.smoothing > 0 ? 'label-smoothing' : 'cross-entropy';
  return {
    base,
    smoothing: o.smoothing,
    type: o.type,
    ...(o.alpha !== undefined ? { alpha: o.alpha } : {}),
    ...(o.tau !== undefined ? { tau: o.tau } : {}),
  };
}
