#!/usr/bin/env node
import { processIO } from './io.js';
import { main } from './main.js';
import { reportError } from './report-error.js';

// An error that escapes main (a stray promise, an event without a listener) is still one line, exit 1 or 2.
const fatal = (err: unknown): never => process.exit(reportError(err, processIO()));
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

process.exitCode = await main(process.argv.slice(2));
