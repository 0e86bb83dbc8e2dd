#!/usr/bin/env node
import { processIO } from './cli-io.js';
import { main } from './main.js';
import { reportError } from './report-error.js';

// An error that escapes main (a stray promise, an event without a listener) is still one line, exit 1 or 2.
const fatal = (err: unknown): never => process.exit(reportError('deit-eval', err, processIO()));
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
