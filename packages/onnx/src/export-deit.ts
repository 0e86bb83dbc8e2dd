import { ConfigError } from '@deitjs/core';
import type { DeiTConfig } from '@deitjs/models';
import { GraphBuilder } from './graph.js';
import type { TorchParams } from './params.js';
import { DEFAULT_OPSET, type OnnxModel } from './serialize.js';

/** The graph's input and output names (what transformers.js and timm's exports use). */
export const INPUT_NAME = 'pixel_values';
/** Eval-mode logits: the mean of both heads for a distilled model. */
export const LOGITS = 'logits';
/** A distilled model's class-token head. */
export const LOGITS_CLS = 'logits_cls';
/** A distilled model's distillation-token head. */
export const LOGITS_DIST = 'logits_dist';
/** The symbolic batch axis of the input and outputs. */
export const BATCH_DIM = 'batch';

/** Options of the exporters. */
export interface ExportOptions {
  /** Default-domain opset (default 17; LayerNormalization needs ≥ 17). */
  opset?: number;
  /** Graph name (default: the architecture). */
  graphName?: string;
}

const LN_EPS = 1e-6;

/** `x · Wᵀ + b` for a PyTorch Linear applied to the last axis of `x` (any rank): MatMul with the transposed weight. */
function linear(g: GraphBuilder, p: TorchParams, x: string, prefix: string): string {
  const w = g.weight(`${prefix}.weight`, p.shape(`${prefix}.weight`), () => p.data(`${prefix}.weight`));
  const b = g.weight(`${prefix}.bias`, p.shape(`${prefix}.bias`), () => p.data(`${prefix}.bias`));
  // The weight keeps PyTorch's [out, in] layout and name; ONNX Runtime folds the constant Transpose at load time.
  const wt = g.op('Transpose', [w], { perm: [1, 0] }, `${prefix}/weight_t`);
  return g.op('Add', [g.op('MatMul', [x, wt], {}, prefix), b], {}, prefix);
}

function layerNorm(g: GraphBuilder, p: TorchParams, x: string, prefix: string): string {
  const w = g.weight(`${prefix}.weight`, p.shape(`${prefix}.weight`), () => p.data(`${prefix}.weight`));
  const b = g.weight(`${prefix}.bias`, p.shape(`${prefix}.bias`), () => p.data(`${prefix}.bias`));
  return g.op('LayerNormalization', [x, w, b], { axis: -1, epsilon: LN_EPS }, prefix, ['epsilon']);
}

/** Exact GELU, 0.5·x·(1 + erf(x/√2)), in the form ONNX Runtime fuses into its Gelu kernel. */
function gelu(g: GraphBuilder, x: string, scope: string): string {
  const erf = g.op('Erf', [g.op('Div', [x, g.scalar(Math.SQRT2)], {}, scope)], {}, scope);
  return g.op('Mul', [g.op('Mul', [x, g.op('Add', [erf, g.scalar(1)], {}, scope)], {}, scope), g.scalar(0.5)], {}, scope);
}

/** timm `Attention` with fused qkv: q·scale, softmax(q·kᵀ), ·v, heads merged, proj. */
function attention(g: GraphBuilder, p: TorchParams, x: string, prefix: string, numHeads: number, dim: number): string {
  const headDim = dim / numHeads;
  const qkv = linear(g, p, x, `${prefix}.qkv`);
  // [B, N, 3D] → [B, N, 3, H, hd] → [3, B, H, N, hd]
  const split = g.op('Transpose', [g.op('Reshape', [qkv, g.int64([0, 0, 3, numHeads, headDim])], {}, prefix)], { perm: [2, 0, 3, 1, 4] }, prefix);
  const [q, k, v] = [0, 1, 2].map((i) => g.op('Gather', [split, g.int64(i)], { axis: 0 }, prefix)) as [string, string, string];
  const qs = g.op('Mul', [q, g.scalar(headDim ** -0.5)], {}, prefix);
  const scores = g.op('MatMul', [qs, g.op('Transpose', [k], { perm: [0, 1, 3, 2] }, prefix)], {}, prefix);
  const attn = g.op('Softmax', [scores], { axis: -1 }, prefix);
  const out = g.op('MatMul', [attn, v], {}, prefix); // [B, H, N, hd]
  const merged = g.op('Reshape', [g.op('Transpose', [out], { perm: [0, 2, 1, 3] }, prefix), g.int64([0, 0, dim])], {}, prefix);
  return linear(g, p, merged, `${prefix}.proj`);
}

function block(g: GraphBuilder, p: TorchParams, x: string, i: number, c: Required<DeiTConfig>): string {
  const pre = `blocks.${i}`;
  const h = g.op('Add', [x, attention(g, p, layerNorm(g, p, x, `${pre}.norm1`), `${pre}.attn`, c.numHeads, c.embedDim)], {}, pre);
  const hidden = gelu(g, linear(g, p, layerNorm(g, p, h, `${pre}.norm2`), `${pre}.mlp.fc1`), `${pre}.mlp.act`);
  return g.op('Add', [h, linear(g, p, hidden, `${pre}.mlp.fc2`)], {}, pre);
}

/** A head Linear on the token at `index` of `[B, T, D]` tokens: Gather then Gemm (PyTorch layout via transB). */
function head(g: GraphBuilder, p: TorchParams, tokens: string, index: number, prefix: string): string {
  const token = g.op('Gather', [tokens, g.int64(index)], { axis: 1 }, prefix);
  const w = g.weight(`${prefix}.weight`, p.shape(`${prefix}.weight`), () => p.data(`${prefix}.weight`));
  const b = g.weight(`${prefix}.bias`, p.shape(`${prefix}.bias`), () => p.data(`${prefix}.bias`));
  return g.op('Gemm', [token, w, b], { transB: 1 }, prefix);
}

/**
 * The ONNX graph of a DeiT (timm `VisionTransformer` / `VisionTransformerDistilled`) of any size, resolution and patch,
 * from its config and its tensors in timm's names and PyTorch layouts (every initializer keeps its state-dict name).
 * Input `pixel_values` `[batch, C, H, W]` (NCHW, normalised); outputs `logits` `[batch, classes]` (eval mode: the mean
 * of both heads for a distilled model) and, for a distilled model, `logits_cls` and `logits_dist`.
 */
export function deitGraph(config: DeiTConfig, p: TorchParams, options: ExportOptions = {}): OnnxModel {
  const c: Required<DeiTConfig> = { inChans: 3, mlpRatio: 4, dropPathRate: 0, ...config };
  const opset = options.opset ?? DEFAULT_OPSET;
  if (opset < 17) throw new ConfigError('opset', `LayerNormalization needs opset 17 or later, got ${opset}`);
  if (c.imgSize % c.patchSize !== 0) throw new ConfigError('imgSize', `${c.imgSize} is not a multiple of the patch size ${c.patchSize}`);
  const d = c.embedDim;
  const g = new GraphBuilder(options.graphName ?? (c.distilled ? 'deit_distilled' : 'deit'));
  const x = g.input(INPUT_NAME, [BATCH_DIM, c.inChans, c.imgSize, c.imgSize]);

  // Patch embedding: Conv (kernel = stride = patch) → [B, D, gh, gw] → [B, N, D], patches row by row.
  const pw = g.weight('patch_embed.proj.weight', p.shape('patch_embed.proj.weight'), () => p.data('patch_embed.proj.weight'));
  const pb = g.weight('patch_embed.proj.bias', p.shape('patch_embed.proj.bias'), () => p.data('patch_embed.proj.bias'));
  const conv = g.op('Conv', [x, pw, pb], { kernel_shape: [c.patchSize, c.patchSize], strides: [c.patchSize, c.patchSize] }, 'patch_embed.proj');
  const patches = g.op('Transpose', [g.op('Reshape', [conv, g.int64([0, d, -1])], {}, 'patch_embed')], { perm: [0, 2, 1] }, 'patch_embed');

  // Prefix tokens [cls, dist] broadcast to the batch, then the position embedding.
  const prefixNames = c.distilled ? ['cls_token', 'dist_token'] : ['cls_token'];
  const prefixTokens = prefixNames.map((n) => g.weight(n, p.shape(n), () => p.data(n)));
  const joined = prefixTokens.length === 1 ? prefixTokens[0]! : g.op('Concat', prefixTokens, { axis: 1 }, 'prefix_tokens');
  const batch = g.op('Shape', [x], { start: 0, end: 1 }, 'batch_size');
  const expandShape = g.op('Concat', [batch, g.int64([prefixNames.length, d])], { axis: 0 }, 'prefix_tokens');
  const prefix = g.op('Expand', [joined, expandShape], {}, 'prefix_tokens');
  const pos = g.weight('pos_embed', p.shape('pos_embed'), () => p.data('pos_embed'));
  let tokens = g.op('Add', [g.op('Concat', [prefix, patches], { axis: 1 }, 'tokens'), pos], {}, 'pos_drop');

  for (let i = 0; i < c.depth; i++) tokens = block(g, p, tokens, i, c);
  tokens = layerNorm(g, p, tokens, 'norm');

  const cls = head(g, p, tokens, 0, 'head');
  const out = [BATCH_DIM, c.numClasses];
  if (!c.distilled) {
    g.output(LOGITS, cls, out);
  } else {
    const dist = head(g, p, tokens, 1, 'head_dist');
    g.output(LOGITS, g.op('Div', [g.op('Add', [cls, dist], {}, 'logits'), g.scalar(2)], {}, 'logits'), out);
    g.output(LOGITS_CLS, cls, out);
    g.output(LOGITS_DIST, dist, out);
  }
  const { imgSize, patchSize, inChans, embedDim, depth, numHeads, mlpRatio, numClasses, distilled } = c;
  const config_ = { imgSize, patchSize, inChans, embedDim, depth, numHeads, mlpRatio, numClasses, distilled };
  const metadata = { architecture: c.distilled ? 'deit_distilled' : 'deit', config: JSON.stringify(config_) };
  return { graph: g, opset, metadata };
}
