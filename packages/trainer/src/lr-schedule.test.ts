import { readFileSync } from 'node:fs';
import { ConfigError } from '@deitjs/core';
import { describe, expect, it } from 'vitest';
import { LrSchedule, cosineLr, scaleLr } from './lr-schedule.js';

// deit defaults at a total batch of 1024: peak 1e-3, warmup 5 epochs from 1e-6, cosine over 300 epochs to 1e-5.
const deit = { lr: 1e-3, minLr: 1e-5, warmupLr: 1e-6, warmupT: 5, tInitial: 300 };

describe('cosineLr (timm CosineLRScheduler, spec §4.2)', () => {
  it('warms up linearly from warmupLr', () => {
    expect(cosineLr(0, deit)).toBeCloseTo(1e-6, 15);
    // 1e-6 + 2·(1e-3 − 1e-6)/5
    expect(cosineLr(2, deit)).toBeCloseTo(4.006e-4, 15);
  });
  it('follows the cosine measured from t = 0, not from the end of warmup', () => {
    // 1e-5 + ½·9.9e-4·(1 + cos(π/60)) = 9.99321619703514e-4 (spec: ≈ min + 0.99931·(peak − min))
    expect(cosineLr(5, deit)).toBeCloseTo(9.99321619703514e-4, 15);
    expect(cosineLr(150, deit)).toBeCloseTo(5.05e-4, 15);
    expect(cosineLr(299, deit)).toBeCloseTo(1.002714116407149e-5, 15);
  });
  it('stays at minLr after the cycle (cycle_limit 1)', () => {
    expect(cosineLr(300, deit)).toBe(1e-5);
    expect(cosineLr(1000, deit)).toBe(1e-5);
  });
  it('matches the lr timm stored in the deit training-checkpoint fixture after step(3)', () => {
    const manifest = JSON.parse(readFileSync(new URL('../../../fixtures/MANIFEST.json', import.meta.url), 'utf8')) as {
      fixtures: Array<{ model: string; optimizer?: { param_groups: Array<{ lr: number; initial_lr: number }> }; lr_scheduler?: { state: Record<string, unknown> } }>;
    };
    const fx = manifest.fixtures.find((f) => f.model === 'deit_micro_distilled_patch4_32.train_checkpoint.pth')!;
    const s = fx.lr_scheduler!.state as { base_values: number[]; lr_min: number; warmup_lr_init: number; warmup_t: number; t_initial: number };
    const opts = { lr: s.base_values[0]!, minLr: s.lr_min, warmupLr: s.warmup_lr_init, warmupT: s.warmup_t, tInitial: s.t_initial };
    // deit main.py scaled 5e-4 by batch 128 / 512.
    expect(scaleLr(5e-4, 128)).toBeCloseTo(fx.optimizer!.param_groups[0]!.initial_lr, 15);
    expect(cosineLr(3, opts)).toBeCloseTo(fx.optimizer!.param_groups[0]!.lr, 15);
  });
  it('rejects invalid parameters with a ConfigError naming them', () => {
    expect(() => cosineLr(0, { ...deit, tInitial: 0 })).toThrow(ConfigError);
    expect(() => cosineLr(0, { ...deit, minLr: -1 })).toThrow(/minLr/);
    expect(() => cosineLr(0, { ...deit, lr: Number.NaN })).toThrow(/lr/);
  });
});

describe('scaleLr', () => {
  it('is lr·batch·world/512', () => {
    expect(scaleLr(5e-4, 64, 16)).toBeCloseTo(1e-3, 15);
    expect(scaleLr(5e-4, 256, 4)).toBeCloseTo(1e-3, 15);
    expect(scaleLr(5e-4, 32)).toBeCloseTo(3.125e-5, 15);
  });
  it('rejects a bad batch or world size', () => {
    expect(() => scaleLr(5e-4, 0)).toThrow(ConfigError);
    expect(() => scaleLr(5e-4, 8, 1.5)).toThrow(/worldSize/);
  });
});

describe('LrSchedule', () => {
  const base = { lr: 1e-3, epochs: 300, updatesPerEpoch: 10 };
  it('deit-epoch: epochs 0 and 1 at warmupLr, epoch e ≥ 1 at f(e − 1) (the deit off-by-one)', () => {
    const s = new LrSchedule(base);
    expect(s.options.stepping).toBe('deit-epoch');
    expect(s.lrAt(0, 0)).toBeCloseTo(1e-6, 15);
    expect(s.lrAt(1, 10)).toBeCloseTo(1e-6, 15);
    expect(s.lrAt(2, 25)).toBeCloseTo(2.008e-4, 15);
    // epoch 6 runs at f(5): the peak is never reached exactly
    expect(s.lrAt(6, 60)).toBeCloseTo(9.99321619703514e-4, 15);
    // constant within an epoch
    expect(s.lrAt(2, 29)).toBe(s.lrAt(2, 20));
  });
  it('epoch: epoch e at f(e)', () => {
    const s = new LrSchedule({ ...base, stepping: 'epoch' });
    expect(s.lrAt(0, 0)).toBeCloseTo(1e-6, 15);
    expect(s.lrAt(2, 20)).toBeCloseTo(4.006e-4, 15);
    expect(s.lrAt(5, 50)).toBeCloseTo(9.99321619703514e-4, 15);
  });
  it('step: update u at f(u) with lengths in updates', () => {
    const s = new LrSchedule({ ...base, stepping: 'step' });
    // warmup 50 updates: 1e-6 + 25·(1e-3 − 1e-6)/50
    expect(s.lrAt(2, 25)).toBeCloseTo(5.005e-4, 15);
    // half of 3000 updates
    expect(s.lrAt(150, 1500)).toBeCloseTo(5.05e-4, 15);
    expect(s.lrAt(299, 3000)).toBe(1e-5);
  });
  it('rejects bad options', () => {
    expect(() => new LrSchedule({ ...base, updatesPerEpoch: 0 })).toThrow(/updatesPerEpoch/);
    expect(() => new LrSchedule({ ...base, stepping: 'cosine' as 'step' })).toThrow(/stepping/);
    expect(() => new LrSchedule({ ...base, warmupLr: -1 })).toThrow(ConfigError);
  });
});
