export { RUN_FILES } from './run-files.js';
export {
  type RunInfo,
  type RunDataInfo,
  type RunDescription,
  RUN_FORMAT,
  readRunInfo,
  writeRunInfo,
  runFile,
  teacherRunDir,
} from './run-info.js';
export {
  type RunPreprocessing,
  type RunEvalTransform,
  type RunImageInput,
  DEFAULT_EVAL_CROP_PCT,
  runPreprocessing,
  parsePreprocessing,
} from './run-preprocessing.js';
export { appendJsonLine, readJsonLines, filterJsonLines } from './metrics-log.js';
export { type AnalysisReport, type HeadPercents, ANALYSIS_FORMAT, writeAnalysis } from './analysis-file.js';
export { writeRunReport } from './report.js';
export { JOB_FILE, type JobInfo, type JobStage, readJobInfo, writeJobInfo } from './job-file.js';
export { type ChartSeries, type LineChartOptions, escapeHtml, formatNumber, lineChart } from './line-chart.js';
