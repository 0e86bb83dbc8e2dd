import { ConfigError } from '@deitjs/core';
import { BN_EPS, type RegNetStage, type ResNetConfig } from '@deitjs/teachers';
import { BATCH_DIM, type ExportOptions, INPUT_NAME, LOGITS } from './export-deit.js';
import { GraphBuilder } from './graph.js';
import type { TorchParams } from './params.js';
import { DEFAULT_OPSET, type OnnxModel } from './serialize.js';

/** Options of the CNN exporters: a fixed square input size, or (default) any height and width. */
export interface ConvNetExportOptions extends ExportOptions {
  /** Fix the input's height and width (default: symbolic `height` and `width`; the network pools globally). */
  imgSize?: number;
}

/**
 * Conv (bias-free, PyTorch `[out, in/groups, k, k]`) with its eval-mode BatchNorm folded in: weight·γ/√(var+ε) per
 * output channel and bias β − mean·γ/√(var+ε), computed in float64 and rounded once; then ReLU if `relu`.
 */
function convBn(g: GraphBuilder, p: TorchParams, x: string, conv: string, bn: string, stride: number, relu: boolean, cin: number): string {
  const shape = p.shape(`${conv}.weight`);
  const [cout, cinPerGroup, k] = shape as [number, number, number];
  const groups = cin / cinPerGroup;
  if (!Number.isInteger(groups)) throw new ConfigError(conv, `weight [${shape}] does not fit ${cin} input channels`);
  const scale = (): Float64Array => {
    const gamma = p.data(`${bn}.weight`);
    const variance = p.data(`${bn}.running_var`);
    const s = new Float64Array(cout);
    for (let o = 0; o < cout; o++) s[o] = gamma[o]! / Math.sqrt(variance[o]! + BN_EPS);
    return s;
  };
  // Plain loops: Float32Array.from with a map function is an order of magnitude slower on 100M-weight networks.
  const w = g.weight(`${conv}.weight+${bn}`, shape, () => {
    const s = scale();
    const src = p.data(`${conv}.weight`);
    const out = new Float32Array(src.length);
    const per = src.length / cout;
    for (let o = 0, i = 0; o < cout; o++) for (let end = i + per; i < end; i++) out[i] = src[i]! * s[o]!;
    return out;
  });
  const b = g.weight(`${bn}.bias+${bn}.running_mean`, [cout], () => {
    const s = scale();
    const beta = p.data(`${bn}.bias`);
    const mean = p.data(`${bn}.running_mean`);
    const out = new Float32Array(cout);
    for (let o = 0; o < cout; o++) out[o] = beta[o]! - mean[o]! * s[o]!;
    return out;
  });
  const pad = Math.floor((k - 1) / 2);
  const attrs = { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad], group: groups };
  const y = g.op('Conv', [x, w, b], attrs, conv);
  return relu ? g.op('Relu', [y], {}, conv) : y;
}

/** Global average pool → flatten → Gemm classifier (PyTorch Linear layout via transB). */
function classifier(g: GraphBuilder, p: TorchParams, x: string, prefix: string): string {
  const pooled = g.op('Flatten', [g.op('GlobalAveragePool', [x], {}, 'global_pool')], { axis: 1 }, 'global_pool');
  const w = g.weight(`${prefix}.weight`, p.shape(`${prefix}.weight`), () => p.data(`${prefix}.weight`));
  const b = g.weight(`${prefix}.bias`, p.shape(`${prefix}.bias`), () => p.data(`${prefix}.bias`));
  return g.op('Gemm', [pooled, w, b], { transB: 1 }, prefix);
}

function start(name: string, p: TorchParams, stemWeight: string, options: ConvNetExportOptions): { g: GraphBuilder; x: string; inChannels: number; opset: number } {
  const opset = options.opset ?? DEFAULT_OPSET;
  const g = new GraphBuilder(options.graphName ?? name);
  const inChannels = p.shape(stemWeight)[1]!;
  const size = options.imgSize;
  const x = g.input(INPUT_NAME, [BATCH_DIM, inChannels, size ?? 'height', size ?? 'width']);
  return { g, x, inChannels, opset };
}

function finish(g: GraphBuilder, p: TorchParams, logits: string, fc: string, opset: number, architecture: string): OnnxModel {
  g.output(LOGITS, logits, [BATCH_DIM, p.shape(`${fc}.weight`)[0]!]);
  return { graph: g, opset, metadata: { architecture } };
}

/**
 * The ONNX graph of a ResNet (timm and torchvision: BasicBlock or Bottleneck, stride on the 3×3 conv) from its config
 * and its tensors in timm's names (torchvision checkpoints use the same ResNet names). BatchNorm is folded into the
 * convolutions; input `pixel_values` NCHW, output `logits`.
 */
export function resnetGraph(config: ResNetConfig, p: TorchParams, options: ConvNetExportOptions = {}): OnnxModel {
  const { g, x, inChannels, opset } = start('resnet', p, 'conv1.weight', options);
  const imagenet = config.stem === 'imagenet';
  let h = convBn(g, p, x, 'conv1', 'bn1', imagenet ? 2 : 1, true, inChannels);
  if (imagenet) h = g.op('MaxPool', [h], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, 'maxpool');
  const strides = config.strides ?? config.channels.map((_, i) => (i === 0 ? 1 : 2));
  const convs = config.block === 'basic' ? ['conv1', 'conv2'] : ['conv1', 'conv2', 'conv3'];
  const stridedConv = config.block === 'basic' ? 0 : 1;
  let cin = config.stemWidth;
  config.depths.forEach((depth, i) => {
    for (let j = 0; j < depth; j++) {
      const pre = `layer${i + 1}.${j}`;
      const stride = j === 0 ? strides[i]! : 1;
      let y = h;
      let c = cin;
      convs.forEach((conv, n) => {
        // The stride sits on the (first) 3×3 conv: conv1 of a BasicBlock, conv2 of a Bottleneck.
        const s = n === stridedConv ? stride : 1;
        y = convBn(g, p, y, `${pre}.${conv}`, `${pre}.bn${n + 1}`, s, n < convs.length - 1, c);
        c = p.shape(`${pre}.${conv}.weight`)[0]!;
      });
      const shortcut = p.has(`${pre}.downsample.0.weight`) ? convBn(g, p, h, `${pre}.downsample.0`, `${pre}.downsample.1`, stride, false, cin) : h;
      h = g.op('Relu', [g.op('Add', [y, shortcut], {}, pre)], {}, pre);
      cin = c;
    }
  });
  return finish(g, p, classifier(g, p, h, 'fc'), 'fc', opset, `resnet_${config.block}`);
}

/** Squeeze-excitation: global pool → fc1 (1×1 conv) → ReLU → fc2 → sigmoid → channel scale. */
function squeezeExcite(g: GraphBuilder, p: TorchParams, x: string, pre: string): string {
  const fc = (name: string, input: string) => {
    const w = g.weight(`${name}.weight`, p.shape(`${name}.weight`), () => p.data(`${name}.weight`));
    const b = g.weight(`${name}.bias`, p.shape(`${name}.bias`), () => p.data(`${name}.bias`));
    return g.op('Conv', [input, w, b], { kernel_shape: [1, 1] }, name);
  };
  const pooled = g.op('GlobalAveragePool', [x], {}, pre);
  const gate = g.op('Sigmoid', [fc(`${pre}.fc2`, g.op('Relu', [fc(`${pre}.fc1`, pooled)], {}, pre))], {}, pre);
  return g.op('Mul', [x, gate], {}, pre);
}

/**
 * The ONNX graph of a RegNet(Y) from its stages and its tensors in timm's names (`s1.b1.conv2.conv.weight`; torchvision
 * checkpoints map onto them when loaded): grouped 3×3 convs as Conv `group`, SE blocks, BatchNorm folded.
 */
export function regnetGraph(stages: readonly RegNetStage[], p: TorchParams, options: ConvNetExportOptions = {}): OnnxModel {
  const { g, x, inChannels, opset } = start('regnet', p, 'stem.conv.weight', options);
  let h = convBn(g, p, x, 'stem.conv', 'stem.bn', 2, true, inChannels);
  let cin = p.shape('stem.conv.weight')[0]!;
  stages.forEach((stage, i) => {
    for (let j = 0; j < stage.depth; j++) {
      const pre = `s${i + 1}.b${j + 1}`;
      const stride = j === 0 ? stage.stride : 1;
      const mid = p.shape(`${pre}.conv1.conv.weight`)[0]!;
      let y = convBn(g, p, h, `${pre}.conv1.conv`, `${pre}.conv1.bn`, 1, true, cin);
      y = convBn(g, p, y, `${pre}.conv2.conv`, `${pre}.conv2.bn`, stride, true, mid);
      if (p.has(`${pre}.se.fc1.weight`)) y = squeezeExcite(g, p, y, `${pre}.se`);
      y = convBn(g, p, y, `${pre}.conv3.conv`, `${pre}.conv3.bn`, 1, false, mid);
      const shortcut = p.has(`${pre}.downsample.conv.weight`) ? convBn(g, p, h, `${pre}.downsample.conv`, `${pre}.downsample.bn`, stride, false, cin) : h;
      h = g.op('Relu', [g.op('Add', [y, shortcut], {}, pre)], {}, pre);
      cin = stage.width;
    }
  });
  return finish(g, p, classifier(g, p, h, 'head.fc'), 'head.fc', opset, 'regnet');
}
