import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeitError, writeFileAtomic } from '@deitjs/core';

/** The file of a folder of runs trained together (the main job): which run directory is which stage. */
export const JOB_FILE = 'job.json';

/** One run of a job: its label and its run directory, relative to the job's folder. */
export interface JobStage {
  /** What the run is in the job, e.g. `soft student`. */
  label: string;
  /** Its run directory's name inside the job folder. */
  dir: string;
}

/** `job.json`: the runs of a job, in display order. */
export interface JobInfo {
  /** What the job is. */
  job: string;
  /** The seed every run of the job used. */
  seed: number;
  /** The stage the others are compared with (the non-distilled twin), by its `dir`. */
  twin?: string;
  /** The runs. */
  stages: JobStage[];
}

/** Writes `job.json` into a job's folder atomically. */
export function writeJobInfo(dir: string, info: JobInfo): void {
  writeFileAtomic(join(dir, JOB_FILE), [`${JSON.stringify(info, null, 2)}\n`]);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
// A stage's dir is a plain name inside the job folder (never a path that leaves it).
const isName = (v: unknown): v is string => typeof v === 'string' && v !== '' && v !== '.' && v !== '..' && !/[/\\]/.test(v);

/** Reads `job.json` of a folder: undefined when there is none; a DeitError (`E_RUN`) naming the file when it is malformed. */
export function readJobInfo(dir: string): JobInfo | undefined {
  const file = join(dir, JOB_FILE);
  if (!existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new DeitError('E_RUN', `${file}: is not valid JSON (${(err as Error).message})`);
  }
  const bad = (what: string): never => {
    throw new DeitError('E_RUN', `${file}: ${what}`);
  };
  if (!isObject(parsed)) return bad('must hold a JSON object');
  if (typeof parsed.job !== 'string') bad('"job" must be a string');
  if (!Number.isInteger(parsed.seed) || (parsed.seed as number) < 0) bad('"seed" must be a non-negative integer');
  if (!Array.isArray(parsed.stages)) return bad('"stages" must be a list of {label, dir}');
  const stages = parsed.stages.map((s, i): JobStage => {
    if (!isObject(s) || typeof s.label !== 'string' || !isName(s.dir)) return bad(`"stages"[${i}] must be {label, dir} with dir a folder name`);
    return { label: s.label, dir: s.dir };
  });
  if (parsed.twin !== undefined && !stages.some((s) => s.dir === parsed.twin)) bad('"twin" must be the dir of one of the stages');
  return { job: parsed.job as string, seed: parsed.seed as number, ...(parsed.twin !== undefined ? { twin: parsed.twin as string } : {}), stages };
}
