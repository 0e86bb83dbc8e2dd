import type { TrainingState } from './checkpoint.js';
import type { EvalMetrics } from './evaluate.js';

/** The best epoch so far: which metric, its value, the epoch (as checkpoints record it). */
type Best = TrainingState['best'];

/**
 * Whether a finished epoch is the best so far, and the best after it. Runs with an eval source are ranked by eval
 * top-1 (higher is better) and only evaluated epochs can be best; runs without one by training loss (lower is
 * better). A best recorded under another metric is always beaten.
 */
export function bestAfterEpoch(
  prev: Best,
  epoch: number,
  trainLoss: number,
  evalMetrics: EvalMetrics | undefined,
  hasEvalSource: boolean,
): { better: boolean; best: Best } {
  const metric = evalMetrics !== undefined ? 'eval.top1' : 'trainLoss';
  const value = evalMetrics !== undefined ? evalMetrics.top1 : trainLoss;
  const better =
    evalMetrics !== undefined || !hasEvalSource
      ? prev === null || prev.metric !== metric || (metric === 'eval.top1' ? value > prev.value : value < prev.value)
      : false;
  return { better, best: better ? { metric, value, epoch } : prev };
}
