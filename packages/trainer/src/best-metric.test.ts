import { describe, expect, it } from 'vitest';
import { bestAfterEpoch } from './best-metric.js';
import type { EvalMetrics } from './evaluate.js';

const evalAt = (top1: number): EvalMetrics => ({ top1, top5: 100, count: 10, loss: 1 });

describe('bestAfterEpoch', () => {
  it('without an eval source ranks epochs by training loss, lower is better', () => {
    let r = bestAfterEpoch(null, 0, 1.0, undefined, false);
    expect(r).toEqual({ better: true, best: { metric: 'trainLoss', value: 1.0, epoch: 0 } });
    r = bestAfterEpoch(r.best, 1, 1.2, undefined, false);
    expect(r).toEqual({ better: false, best: { metric: 'trainLoss', value: 1.0, epoch: 0 } });
    r = bestAfterEpoch(r.best, 2, 0.8, undefined, false);
    expect(r).toEqual({ better: true, best: { metric: 'trainLoss', value: 0.8, epoch: 2 } });
  });

  it('with an eval source ranks evaluated epochs by top-1 (a tie is not better); an epoch without its evaluation never is best', () => {
    expect(bestAfterEpoch(null, 0, 0.1, undefined, true)).toEqual({ better: false, best: null });
    let r = bestAfterEpoch(null, 1, 2.0, evalAt(50), true);
    expect(r).toEqual({ better: true, best: { metric: 'eval.top1', value: 50, epoch: 1 } });
    expect(bestAfterEpoch(r.best, 2, 0.1, evalAt(50), true).better).toBe(false);
    expect(bestAfterEpoch(r.best, 2, 0.1, undefined, true).better).toBe(false);
    r = bestAfterEpoch(r.best, 3, 3.0, evalAt(60), true);
    expect(r).toEqual({ better: true, best: { metric: 'eval.top1', value: 60, epoch: 3 } });
  });

  it('a best recorded under the other metric is always beaten', () => {
    const byLoss = { metric: 'trainLoss', value: 0.01, epoch: 4 };
    expect(bestAfterEpoch(byLoss, 5, 9, evalAt(1), true)).toEqual({ better: true, best: { metric: 'eval.top1', value: 1, epoch: 5 } });
  });
});
