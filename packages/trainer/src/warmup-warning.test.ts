import { describe, expect, it } from 'vitest';
import { type LrStepping, LrSchedule } from './lr-schedule.js';
import { warmupWarning } from './warmup-warning.js';

const schedule = (epochs: number, warmupEpochs: number, stepping: LrStepping) =>
  new LrSchedule({ lr: 1e-3, warmupLr: 1e-6, minLr: 1e-5, warmupEpochs, epochs, updatesPerEpoch: 4, stepping });

/** Whether the rate of any update of the run reaches the cosine part (the independent check: walk every update). */
function leavesWarmup(s: LrSchedule): boolean {
  const { epochs, updatesPerEpoch, warmupEpochs, stepping, warmupLr, lr } = s.options;
  for (let e = 0; e < epochs; e++) {
    for (let u = e * updatesPerEpoch; u < (e + 1) * updatesPerEpoch; u++) {
      // In warmup the rate is warmupLr + t·(lr − warmupLr)/warmupT for a t below warmupT, so strictly below the line's end.
      const t = stepping === 'step' ? u : stepping === 'deit-epoch' ? Math.max(e - 1, 0) : e;
      const warmupT = stepping === 'step' ? warmupEpochs * updatesPerEpoch : warmupEpochs;
      const onLine = Math.abs(s.lrAt(e, u) - (warmupLr + (t * (lr - warmupLr)) / warmupT)) < 1e-15;
      if (!(t < warmupT && onLine)) return true;
    }
  }
  return false;
}

describe('warmupWarning', () => {
  it('warns when warmupEpochs ≥ epochs, whatever the stepping (deit defaults: 5 warmup epochs, a 1- or 2-epoch run)', () => {
    for (const stepping of ['deit-epoch', 'epoch', 'step'] as const) {
      for (const [epochs, warmup] of [
        [1, 5],
        [2, 5],
        [5, 5],
        [3, 3.5],
      ] as const) {
        const s = schedule(epochs, warmup, stepping);
        expect(leavesWarmup(s)).toBe(false);
        expect(warmupWarning(s)).toMatch(new RegExp(`^warmupEpochs ${warmup} covers all ${epochs} epoch\\(s\\) of the run.*peak lr 1\\.00e-3 is never reached`));
      }
    }
  });

  it('does not warn when some update runs past the warmup, nor without warmup', () => {
    for (const stepping of ['deit-epoch', 'epoch', 'step'] as const) {
      for (const [epochs, warmup] of [
        [3, 1],
        [300, 5],
        [1, 0],
        [2, 0],
      ] as const) {
        const s = schedule(epochs, warmup, stepping);
        expect(leavesWarmup(s)).toBe(true);
        expect(warmupWarning(s)).toBeUndefined();
      }
    }
  });

  it('with deit-epoch stepping already warns at warmupEpochs = epochs − 1 (epoch e runs at the rate of e − 1), and says why', () => {
    const s = schedule(6, 5, 'deit-epoch');
    expect(leavesWarmup(s)).toBe(false);
    expect(warmupWarning(s)).toMatch(/covers all 6 epoch\(s\) of the run \(deit-epoch stepping runs epoch e at the rate of e − 1\)/);
    expect(warmupWarning(schedule(6, 5, 'epoch'))).toBeUndefined();
    expect(warmupWarning(schedule(7, 5, 'deit-epoch'))).toBeUndefined();
  });

  it('names the highest rate the run reaches (the last update’s)', () => {
    // step stepping, 2 epochs × 4 updates, warmup 5 epochs = 20 updates: the last update u = 7 runs at 1e-6 + 7·(1e-3 − 1e-6)/20.
    expect(warmupWarning(schedule(2, 5, 'step'))).toContain(`rising to ${(1e-6 + (7 * (1e-3 - 1e-6)) / 20).toExponential(2)}`);
  });
});
