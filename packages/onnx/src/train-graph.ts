import { ConfigError } from '@deitjs/core';
import type { DeiTConfig } from '@deitjs/models';
import { GraphBuilder } from './graph.js';
import { DEFAULT_OPSET, type OnnxModel } from './serialize.js';
import {
  type AttentionDims,
  type GradSink,
  attentionBackward,
  attentionForward,
  gemm,
  layerNormBackward,
  layerNormForward,
  linearBackward,
  linearForward,
  mlpBackward,
  mlpForward,
  reshape,
  sumRows,
} from './train-graph-layers.js';
import { type ResolvedLossSpec, type TrainingLossSpec, lossNodes, resolveLossSpec } from './train-graph-loss.js';

/** Input: NHWC images `[batch, H, W, C]`, normalised (the layout the trainer's batches have). */
export const TRAIN_IMAGES = 'images';
/** Input: per-class targets `[batch, classes]` (one-hot, smoothed or mixed). */
export const TRAIN_TARGETS = 'targets';
/** Input: the teacher's logits `[batch, classes]` (soft and hard distillation only). */
export const TRAIN_TEACHER = 'teacher_logits';
/** Input: drop-path factors `[2·depth, batch]` (attention then MLP branch of each block; 0 or 1/(1 − rate)). */
export const TRAIN_DROP_PATH = 'drop_path';
/** Output: the total loss (scalar). */
export const TRAIN_LOSS = 'loss';
/** Output: the base loss of the class head. */
export const TRAIN_LOSS_BASE = 'loss_base';
/** Output: the distillation loss (soft and hard only). */
export const TRAIN_LOSS_DISTILL = 'loss_distill';
/** Output name of a parameter's gradient. */
export const gradName = (param: string): string => `grad.${param}`;

/** A trainable tensor of the graph: PyTorch name and TF.js-layout shape (as the model's variable holds it). */
export interface TrainParam {
  name: string;
  shape: number[];
}

/** The training-step graph with what its caller needs to feed it. */
export interface TrainingGraph extends OnnxModel {
  /** The parameters, in graph-input order (TF.js layouts: Linear `[in, out]`, patch kernel `[p, p, C, D]`). */
  params: TrainParam[];
  /** The parameters that get a gradient output (all but a distilled model's `head_dist` with type `'none'`). */
  gradParams: TrainParam[];
  /** Whether the graph takes {@link TRAIN_DROP_PATH} (some block has a drop-path rate above 0). */
  dropPath: boolean;
  /** Per block, the drop-path rate (0: the block draws no mask). */
  dropPathRates: number[];
  /** Whether the graph takes {@link TRAIN_TEACHER}. */
  teacher: boolean;
  /** The loss, defaults filled in. */
  loss: ResolvedLossSpec;
}

/** Drop-path rate of each block: linear from 0 to the model's rate (timm's linspace, as @deitjs/encoder). */
export function blockDropPathRates(rate: number, depth: number): number[] {
  return Array.from({ length: depth }, (_, i) => (depth > 1 ? (rate * i) / (depth - 1) : 0));
}

/** The DeiT's trainable tensors in TF.js layouts, in timm's registration order. */
export function deitTrainParams(c: Required<DeiTConfig>): TrainParam[] {
  const d = c.embedDim;
  const hidden = Math.round(d * c.mlpRatio);
  const tokens = (c.imgSize / c.patchSize) ** 2 + (c.distilled ? 2 : 1);
  const lin = (name: string, i: number, o: number): TrainParam[] => [{ name: `${name}.weight`, shape: [i, o] }, { name: `${name}.bias`, shape: [o] }];
  const ln = (name: string): TrainParam[] => [{ name: `${name}.weight`, shape: [d] }, { name: `${name}.bias`, shape: [d] }];
  const params: TrainParam[] = [{ name: 'cls_token', shape: [1, 1, d] }, { name: 'pos_embed', shape: [1, tokens, d] }];
  if (c.distilled) params.push({ name: 'dist_token', shape: [1, 1, d] });
  params.push({ name: 'patch_embed.proj.weight', shape: [c.patchSize, c.patchSize, c.inChans, d] }, { name: 'patch_embed.proj.bias', shape: [d] });
  for (let i = 0; i < c.depth; i++) {
    const b = `blocks.${i}`;
    params.push(...ln(`${b}.norm1`), ...lin(`${b}.attn.qkv`, d, 3 * d), ...lin(`${b}.attn.proj`, d, d));
    params.push(...ln(`${b}.norm2`), ...lin(`${b}.mlp.fc1`, d, hidden), ...lin(`${b}.mlp.fc2`, hidden, d));
  }
  params.push(...ln('norm'), ...lin('head', d, c.numClasses));
  if (c.distilled) params.push(...lin('head_dist', d, c.numClasses));
  return params;
}

/**
 * The whole training step of a DeiT (plain or distilled) as one ONNX graph: forward in training mode, the loss of
 * `loss`, and the closed-form backward of every layer. Inputs: every parameter (under its PyTorch name, TF.js layout),
 * {@link TRAIN_IMAGES}, {@link TRAIN_TARGETS}, {@link TRAIN_TEACHER} (distillation) and {@link TRAIN_DROP_PATH} (drop
 * path on). Outputs: {@link TRAIN_LOSS}, {@link TRAIN_LOSS_BASE}, {@link TRAIN_LOSS_DISTILL} (distillation) and
 * `grad.<name>` per parameter, in the parameter's shape. The batch axis is symbolic.
 */
export function deitTrainingGraph(config: DeiTConfig, lossSpec: TrainingLossSpec): TrainingGraph {
  const c: Required<DeiTConfig> = { inChans: 3, mlpRatio: 4, dropPathRate: 0, ...config };
  const loss = resolveLossSpec(lossSpec);
  if (c.imgSize % c.patchSize !== 0) throw new ConfigError('imgSize', `${c.imgSize} is not a multiple of the patch size ${c.patchSize}`);
  if (loss.type !== 'none' && !c.distilled) throw new ConfigError('loss.type', `distillation type "${loss.type}" needs a distilled DeiT`);
  const { patchSize: p, inChans: ch, embedDim: d, numClasses: k } = c;
  const grid = c.imgSize / p;
  const numPatches = grid * grid;
  const prefixCount = c.distilled ? 2 : 1;
  const tokens = numPatches + prefixCount;
  const dims: AttentionDims = { tokens, dim: d, heads: c.numHeads };
  const g = new GraphBuilder(c.distilled ? 'deit_distilled_train' : 'deit_train');
  const params = deitTrainParams(c);
  for (const t of params) g.input(t.name, t.shape);
  const images = g.input(TRAIN_IMAGES, ['batch', c.imgSize, c.imgSize, ch]);
  const targets = g.input(TRAIN_TARGETS, ['batch', k]);
  const teacher = loss.type === 'none' ? undefined : g.input(TRAIN_TEACHER, ['batch', k]);
  const rates = blockDropPathRates(c.dropPathRate, c.depth);
  const dropPath = rates.some((r) => r > 0);
  const masks = dropPath ? g.input(TRAIN_DROP_PATH, [2 * c.depth, 'batch']) : undefined;
  const grads: GradSink = new Map();

  // Patch embedding as patchify + one Gemm, as @deitjs/tokens computes it: [B·gh, p, gw, p·C] → [B·N, p·p·C].
  const s = 'patch_embed';
  const patches = reshape(g, g.op('Transpose', [reshape(g, images, [-1, p, grid, p * ch], s)], { perm: [0, 2, 1, 3] }, s), [-1, p * p * ch], s);
  const kernel = reshape(g, 'patch_embed.proj.weight', [p * p * ch, d], s);
  const embedded = g.op('Gemm', [patches, kernel, 'patch_embed.proj.bias'], {}, s);
  const batch = g.op('Shape', [images], { start: 0, end: 1 }, s);
  const prefixTokens = c.distilled ? g.op('Concat', ['cls_token', 'dist_token'], { axis: 1 }, s) : 'cls_token';
  const prefix = g.op('Expand', [prefixTokens, g.op('Concat', [batch, g.int64([prefixCount, d])], { axis: 0 }, s)], {}, s);
  const joined = g.op('Concat', [prefix, reshape(g, embedded, [-1, numPatches, d], s)], { axis: 1 }, s);
  let x = reshape(g, g.op('Add', [joined, 'pos_embed'], {}, s), [-1, d], s);

  // Blocks; each residual branch times its per-sample drop-path factor, broadcast over the sample's tokens.
  const tokenMask = (j: number) => {
    const m = g.op('Gather', [masks!, g.int64(j)], { axis: 0 }, 'drop_path');
    return reshape(g, g.op('Expand', [reshape(g, m, [-1, 1, 1], 'drop_path'), g.int64([1, tokens, 1])], {}, 'drop_path'), [-1, 1], 'drop_path');
  };
  const saved = [];
  for (let i = 0; i < c.depth; i++) {
    const pre = `blocks.${i}`;
    const m1 = rates[i]! > 0 ? tokenMask(2 * i) : undefined;
    const m2 = rates[i]! > 0 ? tokenMask(2 * i + 1) : undefined;
    const ln1 = layerNormForward(g, x, `${pre}.norm1`);
    const attn = attentionForward(g, ln1.y, `${pre}.attn`, dims);
    const h = g.op('Add', [x, m1 ? g.op('Mul', [attn.y, m1], {}, pre) : attn.y], {}, pre);
    const ln2 = layerNormForward(g, h, `${pre}.norm2`);
    const mlp = mlpForward(g, ln2.y, `${pre}.mlp`);
    x = g.op('Add', [h, m2 ? g.op('Mul', [mlp.y, m2], {}, pre) : mlp.y], {}, pre);
    saved.push({ ln1, attn, ln2, mlp, m1, m2 });
  }
  const norm = layerNormForward(g, x, 'norm');
  const normed3 = reshape(g, norm.y, [-1, tokens, d], 'heads');
  const token = (i: number) => g.op('Gather', [normed3, g.int64(i)], { axis: 1 }, 'heads');
  const head = linearForward(g, token(0), 'head');
  const headDist = c.distilled ? linearForward(g, token(1), 'head_dist') : undefined;

  const l = lossNodes(g, loss, k, head.y, headDist?.y, targets, teacher);

  // Backward: heads → the two prefix tokens' rows of dNormed (zeros elsewhere) → blocks in reverse → embedding.
  const dTok = [reshape(g, linearBackward(g, l.dCls, head.saved, grads), [-1, 1, d], 'heads/grad')];
  if (headDist !== undefined) {
    if (l.dDist !== undefined) {
      dTok.push(reshape(g, linearBackward(g, l.dDist, headDist.saved, grads), [-1, 1, d], 'heads/grad'));
    } else {
      // Type 'none': the dist head is outside the loss and gets no gradient at all (as with the tfjs engine, AdamW
      // then leaves it alone); its token's row of dNormed is zero.
      dTok.push(g.op('Mul', [dTok[0]!, g.scalar(0)], {}, 'heads/grad'));
    }
  }
  const dPrefix = dTok.length === 1 ? dTok[0]! : g.op('Concat', dTok, { axis: 1 }, 'heads/grad');
  const dNormed = g.op('Pad', [dPrefix, g.int64([0, 0, 0, 0, tokens - prefixCount, 0])], { mode: 'constant' }, 'heads/grad');
  let dx = layerNormBackward(g, reshape(g, dNormed, [-1, d], 'heads/grad'), norm.saved, grads);
  for (let i = c.depth - 1; i >= 0; i--) {
    const { ln1, attn, ln2, mlp, m1, m2 } = saved[i]!;
    const pre = `blocks.${i}/grad`;
    const dMlp = mlpBackward(g, m2 ? g.op('Mul', [dx, m2], {}, pre) : dx, mlp.saved, grads);
    const dh = g.op('Add', [dx, layerNormBackward(g, dMlp, ln2.saved, grads)], {}, pre);
    const dAttn = attentionBackward(g, m1 ? g.op('Mul', [dh, m1], {}, pre) : dh, attn.saved, dims, grads);
    dx = g.op('Add', [dh, layerNormBackward(g, dAttn, ln1.saved, grads)], {}, pre);
  }
  const e = 'patch_embed/grad';
  const dTokens = reshape(g, dx, [-1, tokens, d], e);
  const sumBatch = (t: string) => g.op('ReduceSum', [t, g.int64([0])], { keepdims: 1 }, e);
  const slice = (from: number, to: number) => g.op('Slice', [dTokens, g.int64([from]), g.int64([to]), g.int64([1])], {}, e);
  grads.set('pos_embed', sumBatch(dTokens));
  grads.set('cls_token', sumBatch(slice(0, 1)));
  if (c.distilled) grads.set('dist_token', sumBatch(slice(1, 2)));
  const dEmbedded = reshape(g, slice(prefixCount, tokens), [-1, d], e);
  grads.set('patch_embed.proj.weight', reshape(g, gemm(g, patches, dEmbedded, e, 1, 0), [p, p, ch, d], e));
  grads.set('patch_embed.proj.bias', sumRows(g, dEmbedded, e));

  g.output(TRAIN_LOSS, l.total, []);
  g.output(TRAIN_LOSS_BASE, l.base, []);
  if (l.distill !== undefined) g.output(TRAIN_LOSS_DISTILL, l.distill, []);
  const gradParams = params.filter((t) => grads.has(t.name));
  for (const t of gradParams) g.output(gradName(t.name), grads.get(t.name)!, t.shape);
  const metadata = { architecture: `${g.name}`, loss: JSON.stringify(loss), config: JSON.stringify(c) };
  return { graph: g, opset: DEFAULT_OPSET, metadata, params, gradParams, dropPath, dropPathRates: rates, teacher: teacher !== undefined, loss };
}
