/** Where deit-train writes: injectable so tests run it in-process and read what it printed. */
export interface TrainIO {
  /** Results (the summary table). */
  stdout: { write(text: string): unknown; isTTY?: boolean };
  /** Progress and diagnostics. */
  stderr: { write(text: string): unknown; isTTY?: boolean };
  /** Environment variables (DEIT_BACKEND). */
  env: Readonly<Record<string, string | undefined>>;
}

/** The real process streams and environment. */
export function processIO(): TrainIO {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}
