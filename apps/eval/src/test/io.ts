import type { CliIO } from '../cli-io.js';

/** A CliIO that records what a command printed (for in-process tests). */
export function captureIO(env: Record<string, string | undefined> = {}): CliIO & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env,
    out: () => out,
    err: () => err,
  };
}
