import type { LrSchedule } from './lr-schedule.js';

/** The schedule time (epochs, or updates with `step` stepping) of the run's last update, as the schedule evaluates it. */
function lastScheduleTime(schedule: LrSchedule): { t: number; warmupT: number } {
  const o = schedule.options;
  if (o.stepping === 'step') return { t: o.epochs * o.updatesPerEpoch - 1, warmupT: o.warmupEpochs * o.updatesPerEpoch };
  // deit-epoch runs epoch e at f(e − 1) (its one-epoch lag); epoch at f(e).
  return { t: o.stepping === 'deit-epoch' ? Math.max(o.epochs - 2, 0) : o.epochs - 1, warmupT: o.warmupEpochs };
}

/**
 * A warning when the warmup lasts the whole run, so every update runs at a warmup LR and the peak is never used
 * (e.g. a 1–2 epoch run with deit's default 5 warmup epochs); undefined otherwise. With `deit-epoch` stepping's
 * one-epoch lag this is already the case when `warmupEpochs ≥ epochs − 1`.
 */
export function warmupWarning(schedule: LrSchedule): string | undefined {
  const o = schedule.options;
  const { t, warmupT } = lastScheduleTime(schedule);
  if (!(t < warmupT)) return undefined;
  const last = schedule.lrAt(o.epochs - 1, o.epochs * o.updatesPerEpoch - 1);
  const lag = o.stepping === 'deit-epoch' && o.warmupEpochs < o.epochs ? ' (deit-epoch stepping runs epoch e at the rate of e − 1)' : '';
  return (
    `warmupEpochs ${o.warmupEpochs} covers all ${o.epochs} epoch(s) of the run${lag}: every update is in the linear warmup ` +
    `(lr ${o.warmupLr.toExponential(2)} rising to ${last.toExponential(2)}), the peak lr ${o.lr.toExponential(2)} is never reached; ` +
    `lower warmupEpochs (0 turns the warmup off) or train for more epochs`
  );
}
