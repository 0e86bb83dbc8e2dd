import type { ParseArgsConfig } from 'node:util';
import { type BackendChoice, type BackendReport, initBackend } from '@deitjs/core';
import type { CliIO } from './cli-io.js';

/** `util.parseArgs` option definitions of one command. */
export type CommandOptions = NonNullable<ParseArgsConfig['options']>;

/** The parsed command line a command runs with. */
export interface CommandArgs {
  /** Arguments after the command name that are not flags. */
  positionals: string[];
  /** The command's own flags (as `util.parseArgs` returns them). */
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  /** `--backend` (or DEIT_BACKEND): the backend a computing command must initialise. */
  backend: BackendChoice;
  /** `--json`: print one machine-readable JSON document instead of text. */
  json: boolean;
}

/** A `deit-eval` subcommand. */
export interface Command {
  /** The word after `deit-eval`. */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Usage text shown by `deit-eval <name> --help` (synopsis, then the command's flags). */
  usage: string;
  /** The command's own flags, merged with the global ones when parsing. */
  options?: CommandOptions;
  /** Runs the command; returns the exit code. Throw a DeitError for bad input (exit code 2). */
  run(args: CommandArgs, io: CliIO): Promise<number> | number;
}

/** Initialises the backend chosen by `--backend`, for commands that compute; reports the choice on stderr. */
export async function useBackend(args: CommandArgs, io: CliIO): Promise<BackendReport> {
  const report = await initBackend(args.backend);
  io.stderr.write(`deit-eval: backend ${report.backend}\n`);
  return report;
}
