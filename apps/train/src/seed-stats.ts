/** Top-1 (%, mean of both heads; the teacher's only head) of one seed of the main job, per stage. */
export interface SeedAccuracies {
  /** The seed of the split, the initialisations and the batches. */
  seed: number;
  /** The CNN teacher. */
  teacher: number;
  /** The student without distillation (the twin). */
  baseline: number;
  /** The student with hard distillation. */
  hard: number;
  /** The student with soft distillation. */
  soft: number;
}

/** Mean and sample standard deviation (n − 1; NaN below two values). */
export interface MeanStd {
  mean: number;
  std: number;
}

/** A distilled student against its twin over seeds: paired differences in points. */
export interface PairedDelta extends MeanStd {
  /** Paired t-statistic mean / (std / √n) with n − 1 degrees of freedom (NaN below two seeds). */
  t: number;
  /** Seeds where the distilled student beat the twin (Δ > 0). */
  positive: number;
}

/** What `deit-train --seeds … --json` prints. */
export interface SeedStatistics {
  /** Per-seed accuracies in the order run. */
  seeds: SeedAccuracies[];
  /** Each distilled student minus the twin, paired by seed. */
  paired: { hard: PairedDelta; soft: PairedDelta };
}

/** Mean and sample standard deviation of `values` (NaN for an empty list; std NaN for one value). */
export function meanStd(values: readonly number[]): MeanStd {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN };
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n < 2) return { mean, std: Number.NaN };
  const ss = values.reduce((s, v) => s + (v - mean) ** 2, 0);
  return { mean, std: Math.sqrt(ss / (n - 1)) };
}

/** Paired statistics of `a − b` (same length, paired by index): mean, sample std, t = mean/(std/√n), positive count. */
export function pairedDelta(a: readonly number[], b: readonly number[]): PairedDelta {
  if (a.length !== b.length) throw new RangeError(`paired lists differ in length (${a.length} and ${b.length})`);
  const d = a.map((v, i) => v - b[i]!);
  const { mean, std } = meanStd(d);
  // A zero spread over several seeds gives ±Infinity (or NaN for a zero mean): printed as such, null in JSON.
  const t = d.length < 2 ? Number.NaN : mean / (std / Math.sqrt(d.length));
  return { mean, std, t, positive: d.filter((v) => v > 0).length };
}

/** The seed statistics of the main job: the per-seed accuracies and each distilled student's paired Δ. */
export function seedStatistics(seeds: readonly SeedAccuracies[]): SeedStatistics {
  const col = (k: keyof Omit<SeedAccuracies, 'seed'>): number[] => seeds.map((s) => s[k]);
  return {
    seeds: seeds.map((s) => ({ ...s })),
    paired: { hard: pairedDelta(col('hard'), col('baseline')), soft: pairedDelta(col('soft'), col('baseline')) },
  };
}

const fixed = (v: number, digits: number, sign = false): string => (Number.isFinite(v) ? `${sign && v >= 0 ? '+' : ''}${v.toFixed(digits)}` : '–');

/** `a ± b` with two decimals (`–` for a missing spread). */
export function plusMinus(m: MeanStd, sign = false): string {
  return `${fixed(m.mean, 2, sign)} ± ${fixed(m.std, 2)}`;
}

/**
 * The closing table of a multi-seed main job: one row per seed, mean ± std per stage, then each distilled student's
 * paired Δ against the twin with its t-statistic and positive count.
 */
export function formatSeedStatistics(stats: SeedStatistics): string {
  const n = stats.seeds.length;
  const header = ['seed', 'teacher', 'baseline', 'hard', 'soft', 'Δ hard', 'Δ soft'];
  const rows = stats.seeds.map((s) => [String(s.seed), fixed(s.teacher, 2), fixed(s.baseline, 2), fixed(s.hard, 2), fixed(s.soft, 2), fixed(s.hard - s.baseline, 2, true), fixed(s.soft - s.baseline, 2, true)]);
  const col = (k: keyof Omit<SeedAccuracies, 'seed'>): MeanStd => meanStd(stats.seeds.map((s) => s[k]));
  const { hard, soft } = stats.paired;
  rows.push([`mean ± std (${n})`, plusMinus(col('teacher')), plusMinus(col('baseline')), plusMinus(col('hard')), plusMinus(col('soft')), plusMinus(hard, true), plusMinus(soft, true)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const paired = (name: string, p: PairedDelta): string =>
    `${name} − baseline (paired, ${n} seeds): ${plusMinus(p, true)} points, t = ${fixed(p.t, 2)} (${Math.max(0, n - 1)} df), positive on ${p.positive} of ${n} seeds`;
  return [
    'top-1 on the test digits, %, mean of both heads:',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    paired('soft (τ 3, α 0.5)', soft),
    paired('hard (α 0.5)', hard),
  ].join('\n');
}
