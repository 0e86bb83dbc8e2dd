import { escapeControl } from '@deitjs/core';

/** Where a command writes: injectable so tests run commands in-process and read what they printed. */
export interface CliIO {
  /** Results (tables, JSON). */
  stdout: { write(text: string): unknown };
  /** Diagnostics and errors. */
  stderr: { write(text: string): unknown };
  /** Environment variables (DEIT_BACKEND). */
  env: Readonly<Record<string, string | undefined>>;
}

/** The real process streams and environment. */
export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

// What JSON.stringify leaves raw although a terminal acts on it: DEL, C1 controls, line separators, bidi overrides.
const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` safe to print: every control character but the line feed escaped (core's `escapeControl`), so tensor
 * names, metadata, file names and messages taken from a hostile file cannot drive the terminal. In JSON output
 * the escapes are JSON's own (`\u009b`), so the document still parses to the same values.
 */
export function printable(text: string, json = false): string {
  if (json) return text.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return text.split('\n').map(escapeControl).join('\n');
}

/** `io` with every write passed through {@link printable}: the last line of defence against raw control characters. */
export function printableIO(io: CliIO, json: boolean): CliIO {
  return {
    stdout: { write: (t: string) => io.stdout.write(printable(t, json)) },
    stderr: { write: (t: string) => io.stderr.write(printable(t)) },
    env: io.env,
  };
}
