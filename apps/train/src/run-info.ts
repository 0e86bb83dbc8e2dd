import { ConfigError, DeitError } from '@deitjs/core';
import { type RunInfo, readRunInfo as readValidated } from 'deit-eval';

// One run.json format for both apps: deit-train writes it with deit-eval's writer and reads it with its validator.
export { type RunDescription, RUN_INFO_FILE, writeRunInfo } from 'deit-eval';

/** Reads and validates a run directory's `run.json`; a bad or missing one is a ConfigError naming `option`. */
export function readRunInfo(dir: string, option = '--teacher-run'): RunInfo {
  try {
    return readValidated(dir);
  } catch (err) {
    if (err instanceof DeitError && err.code === 'E_RUN') throw new ConfigError(option, err.message);
    throw err;
  }
}
