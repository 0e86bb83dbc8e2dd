import { ConfigError, type HostTensor, ShapeError, toFloat32 } from '@deitjs/core';
import { toPair } from './patch-embed.js';

/**
 * How to interpolate a position-embedding grid:
 * `timm` = timm's `resample_abs_pos_embed` (bicubic, antialias=True, Keys a = −0.5, what timm's checkpoint filter does);
 * `deit-finetune` = deit `main.py --finetune` (bicubic, align_corners=False, no antialias, Keys a = −0.75, clamped borders).
 */
export type PosEmbedResampleMode = 'timm' | 'deit-finetune';

/** Options of {@link resamplePosEmbed}. */
export interface ResamplePosEmbedOptions {
  /** Grid of the given embedding, `rows` (square) or `[rows, cols]`. */
  from: number | [number, number];
  /** Grid wanted. */
  to: number | [number, number];
  /** Leading tokens kept unchanged (2 for distilled DeiT: cls, dist; 1 for plain). */
  prefixTokens: number;
  /** Interpolation variant (default `timm`). */
  mode?: PosEmbedResampleMode;
}

function cubic(x: number, a: number): number {
  const ax = Math.abs(x);
  if (ax < 1) return ((a + 2) * ax - (a + 3)) * ax * ax + 1;
  if (ax < 2) return a * (ax * ax * ax - 5 * ax * ax + 8 * ax - 4);
  return 0;
}

/**
 * The 1-d resampling matrix `W [nOut, nIn]` (row-major) of PyTorch's bicubic `F.interpolate`
 * (align_corners=False) with or without antialias; a 2-d grid resamples as W_rows · grid · W_colsᵀ.
 */
export function bicubicWeights(nIn: number, nOut: number, mode: PosEmbedResampleMode): Float64Array {
  const w = new Float64Array(nOut * nIn);
  const scale = nIn / nOut;
  for (let i = 0; i < nOut; i++) {
    const row = i * nIn;
    if (mode === 'timm') {
      // Pillow-style: the kernel widens by the scale when shrinking; taps outside the input are dropped and
      // the remaining weights renormalised (no border replication).
      const support = 2 * Math.max(scale, 1);
      const center = scale * (i + 0.5);
      const lo = Math.max(Math.trunc(center - support + 0.5), 0);
      const hi = Math.min(Math.trunc(center + support + 0.5), nIn);
      let sum = 0;
      for (let j = lo; j < hi; j++) {
        const v = cubic((j - center + 0.5) / Math.max(scale, 1), -0.5);
        w[row + j] = v;
        sum += v;
      }
      for (let j = lo; j < hi; j++) w[row + j] = w[row + j]! / sum;
    } else {
      const src = (i + 0.5) * scale - 0.5;
      const i0 = Math.floor(src);
      const t = src - i0;
      const taps = [cubic(t + 1, -0.75), cubic(t, -0.75), cubic(1 - t, -0.75), cubic(2 - t, -0.75)];
      for (let k = 0; k < 4; k++) {
        const j = Math.min(Math.max(i0 - 1 + k, 0), nIn - 1);
        w[row + j] = w[row + j]! + taps[k]!;
      }
    }
  }
  return w;
}

/**
 * Resamples a learned position embedding `[1, T + rows·cols, D]` (PyTorch layout, grid row-major) to another
 * grid, keeping the T prefix rows unchanged; computed in float64, returned as float32.
 */
export function resamplePosEmbed(posEmbed: HostTensor, options: ResamplePosEmbedOptions): HostTensor {
  const mode = options.mode ?? 'timm';
  if (mode !== 'timm' && mode !== 'deit-finetune') throw new ConfigError('mode', `unknown resampling mode "${String(mode)}"`);
  const [fh, fw] = toPair(options.from);
  const [th, tw] = toPair(options.to);
  for (const [name, v] of [['from', fh], ['from', fw], ['to', th], ['to', tw]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ConfigError(name, `grid sizes must be positive integers, got ${v}`);
  }
  const t = options.prefixTokens;
  if (!Number.isInteger(t) || t < 0) throw new ConfigError('prefixTokens', `must be a non-negative integer, got ${t}`);
  const shape = posEmbed.shape;
  if (shape.length !== 3 || shape[0] !== 1 || shape[1] !== t + fh * fw) {
    throw new ShapeError('pos_embed', `expected [1, ${t} + ${fh}·${fw}, D] for a ${fh}x${fw} grid, got [${shape.join(', ')}]`);
  }
  const d = shape[2]!;
  const src = toFloat32(posEmbed);
  const wr = bicubicWeights(fh, th, mode);
  const wc = bicubicWeights(fw, tw, mode);
  const out = new Float32Array((t + th * tw) * d);
  out.set(src.subarray(0, t * d));
  // Rows first ([th, fw, D] in float64), then columns.
  const tmp = new Float64Array(th * fw * d);
  for (let i = 0; i < th; i++) {
    for (let r = 0; r < fh; r++) {
      const a = wr[i * fh + r]!;
      if (a === 0) continue;
      for (let c = 0; c < fw; c++) {
        const s = (t + r * fw + c) * d;
        const o = (i * fw + c) * d;
        for (let k = 0; k < d; k++) tmp[o + k] += a * src[s + k]!;
      }
    }
  }
  const acc = new Float64Array(d);
  for (let i = 0; i < th; i++) {
    for (let l = 0; l < tw; l++) {
      acc.fill(0);
      for (let c = 0; c < fw; c++) {
        const a = wc[l * fw + c]!;
        if (a === 0) continue;
        const s = (i * fw + c) * d;
        for (let k = 0; k < d; k++) acc[k] += a * tmp[s + k]!;
      }
      out.set(acc, (t + i * tw + l) * d);
    }
  }
  return { dtype: 'F32', shape: [1, t + th * tw, d], data: out };
}
