import { DeitError, truncateText } from '@deitjs/core';
import { type CliIO, printable } from './cli-io.js';

/** Exit code of bad usage and unreadable input: the conventional "usage error" code. */
export const EXIT_USAGE = 2;

/** One line of a message, so an error never spreads over several stderr lines. */
export function oneLine(text: string): string {
  // parseArgs appends advice on `--` to unknown-option errors; the option name is what matters.
  return text.replace(/\. To specify a positional argument.*$/s, '').replace(/\s*\n\s*/g, ' ').trim();
}

/** Whether `err` is a failure of the file system (a Node errno error): about the input or the machine, not a bug. */
function isSystemError(err: unknown): err is Error & { code: string; syscall: string } {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string' && typeof (err as { syscall?: unknown }).syscall === 'string';
}

/**
 * Prints `err` as one escaped line and returns the exit code: 2 for typed errors, bad flags and file-system
 * failures (the message names the file), 1 for anything else (a bug), with the stack trace only under DEIT_DEBUG.
 */
export function reportError(program: string, err: unknown, io: CliIO): number {
  const debug = io.env.DEIT_DEBUG !== undefined && io.env.DEIT_DEBUG !== '' && io.env.DEIT_DEBUG !== '0';
  const stack = (): void => {
    if (debug && err instanceof Error && err.stack) io.stderr.write(`${printable(err.stack)}\n`);
  };
  const line = (text: string) => io.stderr.write(`${program}: ${printable(oneLine(text))}\n`);
  if (err instanceof DeitError || isSystemError(err) || (err instanceof TypeError && String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS'))) {
    line(err.message);
    stack();
    return EXIT_USAGE;
  }
  const message = err instanceof Error ? (err.name === 'Error' ? err.message : `${err.name}: ${err.message}`) : String(err);
  line(`internal error: ${truncateText(message, 2000)}${debug ? '' : ' (set DEIT_DEBUG=1 for the stack trace)'}`);
  stack();
  return 1;
}
