import { ConfigError, type Rng, ShapeError } from '@deitjs/core';

/** Options of {@link mixupBatch} (timm Mixup, batch mode; DeiT defaults). */
export interface MixupOptions {
  /** Number of classes of the soft targets. */
  numClasses: number;
  /** Mixup Beta(α, α) (default 0.8; 0 disables mixup). */
  mixupAlpha?: number;
  /** CutMix Beta(α, α) (default 1.0; 0 disables cutmix). */
  cutmixAlpha?: number;
  /** CutMix box side range as fractions of the image instead of using λ (default none). */
  cutmixMinMax?: [number, number];
  /** Probability of mixing a batch at all (default 1). */
  prob?: number;
  /** Probability of CutMix rather than Mixup when both are on (default 0.5). */
  switchProb?: number;
  /** Correct λ to the clipped CutMix box area (default true, as DeiT). */
  correctLam?: boolean;
  /** Label smoothing of the targets (default 0.1). */
  labelSmoothing?: number;
}

/** What {@link mixupBatch} did. */
export interface MixupResult {
  /** Soft targets `[batch, numClasses]`, row-major. */
  targets: Float32Array;
  /** The weight of each sample's own label (after the CutMix area correction). */
  lambda: number;
  /** Whether CutMix (rather than Mixup) was applied. */
  cutmix: boolean;
  /** The CutMix box [top, bottom, left, right) in pixels, when CutMix was applied. */
  box?: [number, number, number, number];
}

/** Label-smoothed one-hot targets of the batch mixed with its flipped order: λ·y + (1−λ)·y.flip(0). */
export function mixupTargets(labels: Int32Array, numClasses: number, lambda: number, smoothing = 0): Float32Array {
  const B = labels.length;
  const off = smoothing / numClasses;
  const on = 1 - smoothing + off;
  const out = new Float32Array(B * numClasses).fill(off);
  for (let i = 0; i < B; i++) {
    const a = labels[i]!;
    const b = labels[B - 1 - i]!;
    if (!(a >= 0 && a < numClasses) || !(b >= 0 && b < numClasses)) throw new ShapeError('labels', `label out of range [0, ${numClasses})`);
    out[i * numClasses + a]! += lambda * (on - off);
    out[i * numClasses + b]! += (1 - lambda) * (on - off);
  }
  return out;
}

/**
 * timm's CutMix box: side ratio √(1−λ) of each dimension, centre uniform over the image, clipped to it;
 * with `minMax` the sides are drawn from that range instead.
 */
export function cutmixBox(height: number, width: number, lambda: number, rng: Rng, minMax?: [number, number]): [number, number, number, number] {
  if (minMax) {
    const cutH = rng.int(Math.trunc(height * minMax[0]), Math.trunc(height * minMax[1]));
    const cutW = rng.int(Math.trunc(width * minMax[0]), Math.trunc(width * minMax[1]));
    const yl = rng.int(0, height - cutH);
    const xl = rng.int(0, width - cutW);
    return [yl, yl + cutH, xl, xl + cutW];
  }
  const ratio = Math.sqrt(1 - lambda);
  const cutH = Math.trunc(height * ratio);
  const cutW = Math.trunc(width * ratio);
  const cy = rng.int(0, height);
  const cx = rng.int(0, width);
  const clip = (v: number, hi: number): number => Math.min(Math.max(v, 0), hi);
  const hh = Math.floor(cutH / 2);
  const hw = Math.floor(cutW / 2);
  return [clip(cy - hh, height), clip(cy + hh, height), clip(cx - hw, width), clip(cx + hw, width)];
}

/**
 * timm Mixup/CutMix in batch mode on a host NHWC float batch of `channels` (default 3) channels (in place): one λ per batch, the partner of
 * sample i is sample B−1−i; CutMix pastes the partner's box and corrects λ to 1 − box area / image area.
 * Returns label-smoothed mixed soft targets. The batch size must be even.
 */
export function mixupBatch(
  images: Float32Array,
  labels: Int32Array,
  dims: { height: number; width: number; channels?: number },
  options: MixupOptions,
  rng: Rng,
): MixupResult {
  const { numClasses, mixupAlpha = 0.8, cutmixAlpha = 1.0, cutmixMinMax, prob = 1, switchProb = 0.5, correctLam = true, labelSmoothing = 0.1 } = options;
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new ConfigError('numClasses', `must be a positive integer, got ${numClasses}`);
  if (mixupAlpha < 0 || cutmixAlpha < 0) throw new ConfigError('mixupAlpha', 'alphas must be ≥ 0');
  const B = labels.length;
  const { height: H, width: W, channels: C = 3 } = dims;
  const pix = H * W * C;
  if (images.length !== B * pix) throw new ShapeError('images', `expected ${B}×${H}×${W}×${C} values, got ${images.length}`);
  if (B % 2 !== 0) throw new ShapeError('images', `Mixup/CutMix needs an even batch size, got ${B}`);
  let lambda = 1;
  let cutmix = false;
  if (rng.random() < prob) {
    if (mixupAlpha > 0 && cutmixAlpha > 0) {
      cutmix = rng.random() < switchProb;
      lambda = cutmix ? rng.beta(cutmixAlpha, cutmixAlpha) : rng.beta(mixupAlpha, mixupAlpha);
    } else if (mixupAlpha > 0) {
      lambda = rng.beta(mixupAlpha, mixupAlpha);
    } else if (cutmixAlpha > 0) {
      cutmix = true;
      lambda = rng.beta(cutmixAlpha, cutmixAlpha);
    }
  }
  if (lambda === 1) return { targets: mixupTargets(labels, numClasses, 1, labelSmoothing), lambda: 1, cutmix: false };
  let box: [number, number, number, number] | undefined;
  if (cutmix) {
    box = cutmixBox(H, W, lambda, rng, cutmixMinMax);
    const [yl, yh, xl, xh] = box;
    if (correctLam || cutmixMinMax) lambda = 1 - ((yh - yl) * (xh - xl)) / (H * W);
    for (let i = 0; i < B / 2; i++) {
      const a = i * pix;
      const b = (B - 1 - i) * pix;
      for (let y = yl; y < yh; y++) {
        for (let k = (y * W + xl) * C; k < (y * W + xh) * C; k++) {
          const t = images[a + k]!;
          images[a + k] = images[b + k]!;
          images[b + k] = t;
        }
      }
    }
  } else {
    const l = lambda;
    for (let i = 0; i < B / 2; i++) {
      const a = i * pix;
      const b = (B - 1 - i) * pix;
      for (let k = 0; k < pix; k++) {
        const va = images[a + k]!;
        const vb = images[b + k]!;
        images[a + k] = l * va + (1 - l) * vb;
        images[b + k] = l * vb + (1 - l) * va;
      }
    }
  }
  return { targets: mixupTargets(labels, numClasses, lambda, labelSmoothing), lambda, cutmix, box };
}
