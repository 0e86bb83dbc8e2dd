import { ConfigError, Module, type Rng, tf } from '@deitjs/core';
import { normalInit } from './init.js';
import { type GroupedConvStrategy, groupedConv2d } from './grouped-conv.js';

/** Construction options of {@link Conv2d} (PyTorch `nn.Conv2d` without bias, the only kind the CNN teachers use). */
export interface Conv2dOptions {
  /** Square kernel size. */
  kernel: number;
  /** Stride (default 1). */
  stride?: number;
  /** Symmetric zero padding on each side (default `(kernel - 1) / 2`, PyTorch's `padding=k//2`). */
  padding?: number;
  /** Channel groups (default 1); both channel counts must be divisible by it. */
  groups?: number;
  /** How a grouped convolution is emulated (default `auto`). */
  groupedStrategy?: GroupedConvStrategy;
}

/**
 * A bias-free 2-D convolution with PyTorch semantics on NHWC tensors: symmetric padding, a `weight` parameter
 * in PyTorch's `[out, in/groups, kh, kw]` file layout (held as `[kh, kw, in/groups, out]`), and `groups`.
 */
export class Conv2d extends Module {
  /** The filter, `[kh, kw, in/groups, out]`. */
  readonly weight: tf.Variable;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: number;
  readonly stride: number;
  readonly padding: number;
  readonly groups: number;
  readonly groupedStrategy: GroupedConvStrategy;

  constructor(inChannels: number, outChannels: number, options: Conv2dOptions, rng: Rng | undefined) {
    super();
    const { kernel } = options;
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernel = kernel;
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? Math.floor((kernel - 1) / 2);
    this.groups = options.groups ?? 1;
    this.groupedStrategy = options.groupedStrategy ?? 'auto';
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new ConfigError('groups', `${this.groups} groups do not divide ${inChannels} input and ${outChannels} output channels`);
    }
    // timm and torchvision init: N(0, sqrt(2 / fan_out)) with fan_out = k·k·out/groups (Kaiming, ReLU gain).
    const fanOut = (kernel * kernel * outChannels) / this.groups;
    const n = kernel * kernel * (inChannels / this.groups) * outChannels;
    const init = normalInit(n, Math.sqrt(2 / fanOut), rng);
    this.weight = this.addParam('weight', tf.tensor4d(init, [kernel, kernel, inChannels / this.groups, outChannels]), 'conv2d');
  }

  /** Convolves NHWC `x`; `filter` overrides the weight (e.g. with BatchNorm folded in), `bias`/`relu` fuse the epilogue. */
  apply(x: tf.Tensor4D, epilogue: { filter?: tf.Tensor4D; bias?: tf.Tensor1D; relu?: boolean } = {}): tf.Tensor4D {
    const filter = epilogue.filter ?? (this.weight as tf.Tensor4D);
    return groupedConv2d(x, filter, {
      stride: this.stride,
      padding: this.padding,
      groups: this.groups,
      strategy: this.groupedStrategy,
      bias: epilogue.bias,
      relu: epilogue.relu ?? false,
    });
  }
}
