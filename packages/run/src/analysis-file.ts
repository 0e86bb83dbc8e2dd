import { join } from 'node:path';
import { writeFileAtomic } from '@deitjs/core';
import { RUN_FILES } from './run-files.js';

/** The `format` of {@link AnalysisReport}. */
export const ANALYSIS_FORMAT = 'deitjs-analysis/1';

/** Percentages of one distilled model's predictions (eval output = mean of the heads). */
export interface HeadPercents {
  output: number;
  cls: number;
  dist: number;
}

/** The distillation-token analysis of a distilled student: the content of a run's `analysis.json`. */
export interface AnalysisReport {
  format: typeof ANALYSIS_FORMAT;
  model: string;
  weights: string;
  run: string;
  /** The analysed data. */
  data: string;
  count: number;
  /** Mean (and standard deviation over images) of cos(cls token, dist token) after each layer, in forward order. */
  layers: { name: string; cosine: number; std: number }[];
  /** Percent of images on which argmax of the cls head equals argmax of the dist head. */
  headAgreement: number;
  /** Top-1 accuracy (percent) of each head against the labels. */
  top1: HeadPercents;
  /** The teacher, when one was given or recorded by the run. */
  teacher?: {
    name: string;
    run: string | null;
    /** Percent of images on which each head's argmax equals the teacher's. */
    agreement: HeadPercents;
    /** The teacher's own top-1 (percent). */
    top1: number;
  };
}

/** Writes `analysis.json` into a run directory atomically (read by the HTML report) and returns its path. */
export function writeAnalysis(runDir: string, report: AnalysisReport): string {
  const file = join(runDir, RUN_FILES.analysis);
  writeFileAtomic(file, [`${JSON.stringify(report, null, 2)}\n`]);
  return file;
}
