// The registry of deit-eval subcommands: one export line per command (help lists them by name).
export { inspect } from './inspect.js';
export { predict } from './predict.js';
export { accuracy } from './accuracy.js';
export { analyze } from './analyze.js';
export { bench } from './bench.js';
export { exportCommand } from './export.js';
