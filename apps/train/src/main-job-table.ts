import type { SeedAccuracies } from './seed-stats.js';
import type { StageResult } from './main-job.js';

const pct = (v: number | undefined): string => (v === undefined ? '–' : `${v.toFixed(1)} %`);
const signed = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(1)}`;

/** The top-1 (mean of heads) of each stage of one main job, as `--json` and the seed statistics take it. */
export function seedAccuracies(seed: number, stages: readonly StageResult[]): SeedAccuracies {
  const top1 = (stage: StageResult['stage']): number => stages.find((s) => s.stage === stage)?.run.lastEval?.top1 ?? Number.NaN;
  return { seed, teacher: top1('teacher'), baseline: top1('baseline (no distillation)'), hard: top1('hard student'), soft: top1('soft student') };
}

/**
 * The summary table printed at the end of the main job: one row per stage, and for each distilled student what it
 * bought against the twin (the non-distilled student with the same initialisation and batches), per head.
 */
export function formatMainJobTable(stages: readonly StageResult[], totalSeconds: number): string {
  const twin = stages.find((s) => s.stage === 'baseline (no distillation)')?.run.lastEval;
  const header = ['stage', 'model', 'params', 'acc (mean)', 'Δ vs twin', 'acc cls', 'acc dist', 'teacher agr.', 'time', 'train img/s', 'run directory'];
  const rows = stages.map(({ stage, run }) => {
    const e = run.lastEval;
    const distilled = stage === 'soft student' || stage === 'hard student';
    return [
      stage,
      run.info.model,
      run.numParams.toLocaleString('en-US'),
      pct(e?.top1),
      distilled && e !== undefined && twin !== undefined ? signed(e.top1 - twin.top1) : '–',
      pct(e?.cls?.top1),
      pct(e?.dist?.top1),
      e?.teacherAgreement ? pct(e.teacherAgreement.output) : '–',
      `${run.seconds.toFixed(0)} s`,
      run.imagesPerSecond.toFixed(0),
      run.runDir,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const bought = stages
    .filter((s) => (s.stage === 'soft student' || s.stage === 'hard student') && s.run.lastEval !== undefined && twin !== undefined)
    .map((s) => {
      const e = s.run.lastEval!;
      const heads = e.cls && twin!.cls ? ` (cls head ${signed(e.cls.top1 - twin!.cls.top1)})` : '';
      return `${s.stage} − twin: ${signed(e.top1 - twin!.top1)} points, mean of heads${heads}`;
    });
  const note = bought.length > 0 ? ['what distillation bought on this seed (one seed is noise-level: --seeds 0-8 gives the paired statistics):', ...bought] : [];
  const cos = stages
    .filter((s) => s.cosine !== undefined)
    .map((s) => `cos(cls, dist) of the ${s.stage}: ${s.cosine!.map((c) => `${c.name} ${c.cosine.toFixed(2)}`).join(' → ')}`);
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), '', ...note, ...cos, `total time: ${totalSeconds.toFixed(0)} s`].join('\n');
}
