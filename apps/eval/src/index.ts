export { main, COMMANDS, EXIT_USAGE } from './main.js';
export { type CliIO, processIO } from './cli-io.js';
export { type Command, type CommandArgs, type CommandOptions, useBackend } from './command.js';
export { formatTable, formatCount } from './table.js';
export { inspectCheckpoint, type InspectReport, type InspectedTensor } from './commands/inspect.js';
export type { AccuracyReport } from './commands/accuracy.js';
export type { BenchReport, PhaseTiming } from './commands/bench.js';
export type { PredictReport, PredictedClass, PredictImagesReport } from './commands/predict.js';
