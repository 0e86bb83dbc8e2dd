import { DeitError, escapeControl, truncateText } from '@deitjs/core';
import type { TrainIO } from './io.js';

/** Exit code of bad usage and unreadable input. */
export const EXIT_USAGE = 2;

/** Whether `err` is a failure of the file system (a Node errno error): about the input or the machine, not a bug. */
function isSystemError(err: unknown): err is Error & { code: string; syscall: string } {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string' && typeof (err as { syscall?: unknown }).syscall === 'string';
}

/** `text` on one line with every control character escaped (a hostile file or path cannot drive the terminal). */
function printableLine(text: string): string {
  return escapeControl(text.replace(/\s*\n\s*/g, ' ').trim());
}

/**
 * Prints `err` as one escaped line and returns the exit code: 2 for typed errors and file-system failures (the
 * message names the file), 1 for anything else (a bug), with the stack trace only under DEIT_DEBUG.
 */
export function reportError(err: unknown, io: TrainIO): number {
  const debug = io.env.DEIT_DEBUG !== undefined && io.env.DEIT_DEBUG !== '' && io.env.DEIT_DEBUG !== '0';
  const stack = (): void => {
    if (debug && err instanceof Error && err.stack) io.stderr.write(`${err.stack.split('\n').map(escapeControl).join('\n')}\n`);
  };
  // A progress bar may hold the line: start a fresh one.
  const lead = io.stderr.isTTY === true ? '\n' : '';
  if (err instanceof DeitError || isSystemError(err)) {
    io.stderr.write(`${lead}deit-train: ${printableLine(err.message)}\n`);
    stack();
    return EXIT_USAGE;
  }
  const message = err instanceof Error ? (err.name === 'Error' ? err.message : `${err.name}: ${err.message}`) : String(err);
  io.stderr.write(`${lead}deit-train: internal error: ${printableLine(truncateText(message, 2000))}${debug ? '' : ' (set DEIT_DEBUG=1 for the stack trace)'}\n`);
  stack();
  return 1;
}
