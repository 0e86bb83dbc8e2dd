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
