export { main, EXIT_USAGE } from './main.js';
export { type TrainIO, processIO } from './io.js';
export { type TrainOptions, type ParsedCommandLine, DEFAULT_OPTIONS, OPTION_DEFS, parseTrainArgs, readConfigFile, trainUsage } from './options.js';
export { type DataInfo, type RunData, buildRunData } from './data-setup.js';
export { type RunDescription as RunInfo, RUN_INFO_FILE, readRunInfo, writeRunInfo } from './run-info.js';
export { type TrainRunResult, runTraining, teacherFromRun, defaultRunDir, headAccuracies } from './train-run.js';
export { type MainJobOptions, type StageResult, MAIN_JOB_RECIPE, runMainJob, formatMainJobTable, defaultMainJobDir } from './main-job.js';
export { REPORT_FILE, writeRunReport } from './report.js';
export { runTrainingInChild } from './child-run.js';
