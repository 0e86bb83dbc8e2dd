import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@deitjs/core';
import type { TrainIO } from './io.js';
import { formatMainJobTable, seedAccuracies } from './main-job-table.js';
import { type MainJobOptions, runMainJob } from './main-job.js';
import { type SeedAccuracies, type SeedStatistics, seedStatistics } from './seed-stats.js';

/** Files of a multi-seed main job's folder, rewritten after every seed so that partial results survive. */
export const SEED_FILES = {
  /** One JSON line per finished seed ({@link SeedAccuracies}). */
  perSeed: 'seeds.jsonl',
  /** The statistics of the seeds finished so far (the `--json` output). */
  statistics: 'seed-statistics.json',
} as const;

/**
 * Runs the main job once per seed, each in `<output>/seed-<N>/`, and returns the seed statistics. After each seed its
 * table goes to stderr (or stdout with `tablesTo: 'stdout'`), its accuracies are appended to seeds.jsonl and
 * seed-statistics.json is rewritten.
 */
export async function runMainJobSeeds(
  job: Omit<MainJobOptions, 'seed' | 'output'>,
  seeds: readonly number[],
  output: string,
  io: TrainIO,
  tablesTo: 'stdout' | 'stderr' = 'stdout',
): Promise<SeedStatistics> {
  mkdirSync(output, { recursive: true });
  const done: SeedAccuracies[] = [];
  const lines: string[] = [];
  for (const [i, seed] of seeds.entries()) {
    io.stderr.write(`\n=== seed ${seed} (${i + 1} of ${seeds.length}) → ${join(output, `seed-${seed}`)}\n`);
    const t0 = performance.now();
    const stages = await runMainJob({ ...job, seed, output: join(output, `seed-${seed}`) }, io);
    const acc = seedAccuracies(seed, stages);
    done.push(acc);
    lines.push(`${JSON.stringify({ ...acc, seconds: Math.round((performance.now() - t0) / 1000) })}\n`);
    // Rewritten whole (atomically) rather than appended: a kill mid-write never leaves half a line, and a rerun into
    // the same folder does not mix with an earlier run's seeds.
    writeFileAtomic(join(output, SEED_FILES.perSeed), lines);
    writeFileAtomic(join(output, SEED_FILES.statistics), [`${JSON.stringify(seedStatistics(done), null, 2)}\n`]);
    io[tablesTo].write(`\nseed ${seed}:\n${formatMainJobTable(stages, (performance.now() - t0) / 1000)}\n`);
  }
  return seedStatistics(done);
}
