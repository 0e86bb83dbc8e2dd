import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@deitjs/core';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, parseTrainArgs, trainUsage } from './options.js';

const dir = mkdtempSync(join(tmpdir(), 'deit-train-opts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('deit-train options', () => {
  it("defaults to deit's main.py values", () => {
    const { options } = parseTrainArgs([]);
    expect(options.lr).toBe(5e-4);
    expect(options.weightDecay).toBe(0.05);
    expect(options.smoothing).toBe(0.1);
    expect(options.distillationAlpha).toBe(0.5);
    expect(options.distillationTau).toBe(1);
    expect(options.aa).toBe('rand-m9-mstd0.5-inc1');
  });

  it('parses kebab-case flags, booleans and their --no- forms', () => {
    const { options, explicit } = parseTrainArgs(['--batch-size', '32', '--distillation-type', 'hard', '--unscale-lr', '--no-model-ema']);
    expect(options.batchSize).toBe(32);
    expect(options.distillationType).toBe('hard');
    expect(options.unscaleLr).toBe(true);
    expect(options.modelEma).toBe(false);
    expect([...explicit].sort()).toEqual(['batchSize', 'distillationType', 'modelEma', 'unscaleLr']);
  });

  it('reads YAML and JSON config files, and flags override them', () => {
    const y = join(dir, 'c.yaml');
    writeFileSync(y, 'epochs: 7\nbatch-size: 16\ndistillationType: soft\n');
    const { options } = parseTrainArgs(['--config', y, '--epochs', '9']);
    expect(options).toMatchObject({ epochs: 9, batchSize: 16, distillationType: 'soft' });
    const j = join(dir, 'c.json');
    writeFileSync(j, JSON.stringify({ lr: 0.001, modelEma: true }));
    expect(parseTrainArgs(['--config', j]).options).toMatchObject({ lr: 0.001, modelEma: true });
  });

  it('names the option at fault', () => {
    expect(errorOf(() => parseTrainArgs(['--batch-size', 'x'])).message).toBe('--batch-size: expected a number, got "x"');
    expect(errorOf(() => parseTrainArgs(['--distillation-alpha', '1.5'])).message).toBe('--distillation-alpha: must be ≤ 1, got 1.5');
    expect(errorOf(() => parseTrainArgs(['--distillation-tau', '0'])).option).toBe('--distillation-tau');
    expect(errorOf(() => parseTrainArgs(['--distillation-type', 'medium'])).message).toMatch(/"medium" is not one of none, soft, hard/);
    expect(errorOf(() => parseTrainArgs(['--bogus'])).option).toBe('--bogus');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'epochz: 3\n');
    expect(errorOf(() => parseTrainArgs(['--config', bad])).option).toBe(`${bad}: epochz`);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"epochs": ');
    expect(errorOf(() => parseTrainArgs(['--config', broken])).message).toMatch(/is not valid JSON/);
    expect(errorOf(() => parseTrainArgs(['--config', join(dir, 'missing.yaml')])).message).toMatch(/cannot read/);
  });

  it('documents every option in --help', () => {
    const text = trainUsage();
    for (const k of Object.keys(DEFAULT_OPTIONS)) expect(text).toContain(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
  });
});
