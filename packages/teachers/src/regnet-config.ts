import { ConfigError, roundHalfEven } from '@deitjs/core';

/** The RegNet design-space parameters of one model (timm `RegNetCfg`, Y variants: SE ratio 0.25). */
export interface RegNetParams {
  /** Number of blocks. */
  depth: number;
  /** Initial width w0 (a multiple of 8). */
  w0: number;
  /** Width slope wa. */
  wa: number;
  /** Width multiplier wm (> 1). */
  wm: number;
  /** Group width of the 3×3 grouped convolutions. */
  groupSize: number;
  /** SE squeeze ratio relative to the block *input* width (0 = no SE, i.e. RegNetX). */
  seRatio: number;
  /** Bottleneck ratio (1 in every RegNetX/Y). */
  bottleRatio?: number;
  /** Stem width (32). */
  stemWidth?: number;
}

/** One stage of a generated RegNet. */
export interface RegNetStage {
  /** Output width of every block in the stage. */
  width: number;
  /** Number of blocks. */
  depth: number;
  /** Stride of the first block. */
  stride: number;
  /** Group width after width/group compatibility adjustment. */
  groupSize: number;
}

/** timm's RegNetY configurations (`regnety_002` … `regnety_320`), FLOPs = trailing digits × 10⁸. */
export const REGNETY_PARAMS: Readonly<Record<string, RegNetParams>> = {
  regnety_002: { w0: 24, wa: 36.44, wm: 2.49, groupSize: 8, depth: 13, seRatio: 0.25 },
  regnety_004: { w0: 48, wa: 27.89, wm: 2.09, groupSize: 8, depth: 16, seRatio: 0.25 },
  regnety_006: { w0: 48, wa: 32.54, wm: 2.32, groupSize: 16, depth: 15, seRatio: 0.25 },
  regnety_008: { w0: 56, wa: 38.84, wm: 2.4, groupSize: 16, depth: 14, seRatio: 0.25 },
  regnety_016: { w0: 48, wa: 20.71, wm: 2.65, groupSize: 24, depth: 27, seRatio: 0.25 },
  regnety_032: { w0: 80, wa: 42.63, wm: 2.66, groupSize: 24, depth: 21, seRatio: 0.25 },
  regnety_040: { w0: 96, wa: 31.41, wm: 2.24, groupSize: 64, depth: 22, seRatio: 0.25 },
  regnety_064: { w0: 112, wa: 33.22, wm: 2.27, groupSize: 72, depth: 25, seRatio: 0.25 },
  regnety_080: { w0: 192, wa: 76.82, wm: 2.19, groupSize: 56, depth: 17, seRatio: 0.25 },
  regnety_120: { w0: 168, wa: 73.36, wm: 2.37, groupSize: 112, depth: 19, seRatio: 0.25 },
  regnety_160: { w0: 200, wa: 106.23, wm: 2.48, groupSize: 112, depth: 18, seRatio: 0.25 },
  regnety_320: { w0: 232, wa: 115.89, wm: 2.53, groupSize: 232, depth: 20, seRatio: 0.25 },
};

/**
 * Per-stage widths, depths, strides and group widths of a RegNet, as timm's `generate_regnet` +
 * `adjust_widths_groups_comp` compute them: u_j = wa·j + w0, e_j = round(log(u_j/w0)/log(wm)),
 * w_j = round(w0·wm^e_j / 8)·8; blocks of equal width form a stage; then each stage's bottleneck width is
 * rounded to a multiple of its (possibly reduced) group width.
 */
export function generateRegNetStages(p: RegNetParams): RegNetStage[] {
  const q = 8;
  if (!(p.wa >= 0 && p.w0 > 0 && p.wm > 1 && p.w0 % q === 0)) {
    throw new ConfigError('regnet', `need wa >= 0, w0 > 0 (a multiple of ${q}), wm > 1; got w0 ${p.w0}, wa ${p.wa}, wm ${p.wm}`);
  }
  const blockWidths: number[] = [];
  for (let j = 0; j < p.depth; j++) {
    const u = j * p.wa + p.w0;
    const e = roundHalfEven(Math.log(u / p.w0) / Math.log(p.wm));
    blockWidths.push(roundHalfEven((p.w0 * p.wm ** e) / q) * q);
  }
  const widths = [...new Set(blockWidths)].sort((a, b) => a - b);
  const bottle = p.bottleRatio ?? 1;
  return widths.map((w) => {
    const bottleneck = Math.trunc(w * bottle);
    const groupSize = Math.min(p.groupSize, bottleneck);
    const adjusted = Math.trunc(roundHalfEven(bottleneck / groupSize) * groupSize);
    return { width: Math.trunc(adjusted / bottle), depth: blockWidths.filter((b) => b === w).length, stride: 2, groupSize };
  });
}
