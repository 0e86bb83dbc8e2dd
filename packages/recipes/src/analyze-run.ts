import { type AnalysisReport, type RunInfo, teacherRunDir, writeAnalysis } from '@deitjs/run';
import { evalData } from './eval-data.js';
import type { ModelChoice } from './load-model.js';
import { analysisStudent, analyzeTokens, recordedTeacher } from './token-analysis.js';

/** Options of {@link analyzeRun}; the defaults are those of the analysis command. */
export interface AnalyzeRunOptions {
  /** `mnist` or a data folder (default: the run's own data). */
  data?: string;
  /** Which split (default `test`). */
  split?: 'train' | 'test';
  /** Images analysed, spread evenly over the split (default 1000). */
  limit?: number;
  /** Images per batch (default 64). */
  batchSize?: number;
  /** The teacher; `undefined` takes the teacher run the student's run recorded (when still there), `null` none. */
  teacher?: ModelChoice | null;
  /** Called once the options are checked, before anything is loaded: initialise the backend here if not done. */
  beforeLoad?: () => Promise<unknown>;
  /** Where loading warnings go. */
  warn: (message: string) => void;
}

/**
 * The token analysis of a distilled student's run (see {@link analyzeTokens}) on the run's own test split by
 * default: writes the run's `analysis.json` and returns the report and the file. Problems with the options are
 * ConfigErrors raised before `beforeLoad`.
 */
export async function analyzeRun(run: RunInfo, o: AnalyzeRunOptions): Promise<{ report: AnalysisReport; file: string }> {
  const student = analysisStudent(run);
  const teacher = o.teacher === undefined ? recordedTeacher(teacherRunDir(run), o.warn) : (o.teacher ?? undefined);
  const data = evalData({
    data: o.data ?? run.data.data,
    split: o.split ?? 'test',
    imgSize: student.imgSize,
    normalization: student.normalization,
    batchSize: o.batchSize ?? 64,
    run: run.data,
    preprocessing: student.preprocessing,
    channels: run.inChans === 1 ? 1 : 3,
    limit: o.limit ?? 1000,
  });
  await o.beforeLoad?.();
  const report = await analyzeTokens({ student, teacher, batches: data.loader.epoch(0), data: data.description, run: run.dir, warn: o.warn });
  return { report, file: writeAnalysis(run.dir, report) };
}
