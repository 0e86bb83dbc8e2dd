export { main, COMMANDS, EXIT_USAGE } from './main.js';
export { type CliIO, processIO } from './cli-io.js';
export { type Command, type CommandArgs, type CommandOptions, useBackend } from './command.js';
export { formatTable, formatCount } from './table.js';
export { inspectCheckpoint, type InspectReport, type InspectedTensor } from './commands/inspect.js';
