import { ConfigError, type tf } from '@deitjs/core';

/** Names that current timm exempts from weight decay on a DeiT (`no_weight_decay()` of VisionTransformerDistilled). */
export const DEFAULT_NO_DECAY_NAMES: readonly string[] = ['pos_embed', 'cls_token', 'dist_token'];

/**
 * The skip set of timm 0.3.2, which the original DeiT runs used: `dist_token` is missing from it, so the
 * distillation token was weight-decayed there. Pass it as `skip` to reproduce those runs exactly.
 */
export const TIMM_0_3_2_NO_DECAY_NAMES: readonly string[] = ['pos_embed', 'cls_token'];

/** One optimiser parameter group: the parameter names it holds and their weight decay. */
export interface ParamGroup {
  /** `decay` or `no_decay`. */
  name: 'decay' | 'no_decay';
  /** Parameter names, in the model's order. */
  params: string[];
  /** Decoupled weight decay of this group. */
  weightDecay: number;
}

/** Options of {@link paramGroups}. */
export interface ParamGroupOptions {
  /** Weight decay of the decayed group (deit default 0.05). */
  weightDecay?: number;
  /** Exact parameter names never decayed (default {@link DEFAULT_NO_DECAY_NAMES}). */
  skip?: readonly string[];
}

/**
 * Whether a parameter is exempt from weight decay, by timm's rule: every parameter of rank ≤ 1
 * (biases, LayerNorm/BatchNorm scales), every `*.bias`, and every name in the skip list.
 * The rank is the same in TF.js and PyTorch layout, so TF.js shapes can be passed.
 */
export function isNoDecay(name: string, shape: readonly number[], skip: readonly string[] = DEFAULT_NO_DECAY_NAMES): boolean {
  return shape.length <= 1 || name.endsWith('.bias') || skip.includes(name);
}

/**
 * Splits named trainable variables into timm's two AdamW groups (`no_decay` first, as timm orders them).
 * Throws a {@link ConfigError} for a negative weight decay or a skip name the model does not have
 * (a misspelt name would otherwise silently decay a token).
 */
export function paramGroups(variables: ReadonlyMap<string, tf.Variable>, options: ParamGroupOptions = {}): ParamGroup[] {
  const weightDecay = options.weightDecay ?? 0.05;
  if (!Number.isFinite(weightDecay) || weightDecay < 0) throw new ConfigError('weightDecay', `must be a finite number ≥ 0, got ${weightDecay}`);
  const skip = options.skip ?? DEFAULT_NO_DECAY_NAMES;
  if (options.skip !== undefined) {
    const unknown = skip.filter((n) => !variables.has(n));
    if (unknown.length > 0) throw new ConfigError('noDecay', `names not among the trainable parameters: ${unknown.join(', ')}`);
  }
  const noDecay: string[] = [];
  const decay: string[] = [];
  for (const [name, v] of variables) (isNoDecay(name, v.shape, skip) ? noDecay : decay).push(name);
  return [
    { name: 'no_decay', params: noDecay, weightDecay: 0 },
    { name: 'decay', params: decay, weightDecay },
  ];
}
