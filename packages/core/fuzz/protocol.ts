// Messages between the fuzz parent and its workers, and the outcome classes.

/** A case: a seeded mutation of a fixture, a hand-made hostile file, or a special path (FIFO, device…). */
export type FuzzCase =
  | { id: number; kind: 'mutant'; seed: number; fixture: string; others: string[]; group: string }
  | { id: number; kind: 'hostile'; name: string; expect: 'error' | 'ok'; group: 'hostile' }
  | { id: number; kind: 'special'; name: 'fifo' | 'directory' | 'device' | 'symlink-to-device'; group: 'special' };

/**
 * How a reader call ended. Good: `ok` (consistent tensors) and `typed` (a CheckpointError). Bad: `raw` (any other
 * exception), `wrapped` (a reader bug caught by the safety net), `invalid` (inconsistent tensors returned),
 * `accepted` (a hostile file read without error), `hang`, `blowup` (memory limit) and `crash` (the process died).
 */
export type Outcome = 'ok' | 'typed' | 'raw' | 'wrapped' | 'invalid' | 'accepted' | 'hang' | 'blowup' | 'crash';

/** The outcomes that fail the run. */
export const BAD: readonly Outcome[] = ['raw', 'wrapped', 'invalid', 'accepted', 'hang', 'blowup', 'crash'];

/** A worker's report on one case. */
export interface FuzzResult {
  id: number;
  outcome: Outcome;
  detail: string;
  steps: string[];
  ms: number;
  /** The worker's peak RSS so far, in MB. */
  maxRssMb: number;
}
