export { main, EXIT_USAGE } from './main.js';
export { type TrainIO, processIO } from './io.js';
export { type TrainOptions, type ParsedCommandLine, DEFAULT_OPTIONS, OPTION_DEFS, parseTrainArgs, readConfigFile, trainUsage } from './options.js';
export { type DataInfo, type RunData, buildRunData } from './data-setup.js';
export { type TrainRunResult, runTraining, defaultRunDir, headAccuracies } from './train-run.js';
export { type MainJobOptions, type StageResult, MAIN_JOB_RECIPE, runMainJob, formatMainJobTable, defaultMainJobDir } from './main-job.js';
export { runTrainingInChild } from './child-run.js';
