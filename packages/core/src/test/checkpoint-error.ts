// A helper of core's own reader tests (not exported from @deitjs/core/test).
import { expect } from 'vitest';
import { CheckpointError } from '../errors.js';

/** The CheckpointError `fn` throws; the test fails if it throws anything else, or nothing. */
export function refusal(fn: () => unknown): CheckpointError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CheckpointError);
    return err as CheckpointError;
  }
  throw new Error('expected a CheckpointError');
}
