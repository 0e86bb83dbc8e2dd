import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeitError } from '@deitjs/core';
import { afterAll, describe, expect, it } from 'vitest';
import { readRunInfo, runFile, teacherRunDir } from './run-info.js';
import { SAMPLE_RUN } from './test/sample-run.js';

const root = mkdtempSync(join(tmpdir(), 'deit-run-info-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const GOOD = SAMPLE_RUN;

let n = 0;
function runDir(json: unknown | string): string {
  const dir = join(root, `run${n++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'run.json'), typeof json === 'string' ? json : JSON.stringify(json));
  return dir;
}

describe('readRunInfo', () => {
  it('reads a valid run.json, keeping the optional fields', () => {
    const dir = runDir(GOOD);
    const info = readRunInfo(dir);
    expect(info).toEqual({ dir, ...GOOD, format: undefined });
    expect(info.data).toEqual(GOOD.data);
    // A relative teacher run that is not found from the working directory is taken from the run directory.
    expect(teacherRunDir(info)).toBe(join(dir, 'teacher'));
  });

  it('names the directory or file at fault', () => {
    const missing = join(root, 'nope');
    expect(() => readRunInfo(missing)).toThrow(new RegExp(`^${missing}: no such run directory$`));
    const empty = join(root, 'empty');
    mkdirSync(empty);
    expect(() => readRunInfo(empty)).toThrow(`${join(empty, 'run.json')}: missing: not a deit-train run directory`);
    writeFileSync(join(root, 'afile'), 'x');
    expect(() => readRunInfo(join(root, 'afile'))).toThrow(/afile: is not a directory/);
    const bad = runDir('{"format":');
    expect(() => readRunInfo(bad)).toThrow(new RegExp(`^${join(bad, 'run.json')}: is not valid JSON`));
    try {
      readRunInfo(bad);
    } catch (err) {
      expect(err).toBeInstanceOf(DeitError);
      expect((err as DeitError).code).toBe('E_RUN');
    }
  });

  it.each([
    [{ ...GOOD, format: 'deitjs-run/2' }, /run\.json: "format" must be "deitjs-run\/1", got "deitjs-run\/2"/],
    [{ ...GOOD, kind: 'teacherish' }, /run\.json: "kind" must be "student" or "teacher"/],
    [{ ...GOOD, model: 3 }, /"model" must be a model name, got 3/],
    [{ ...GOOD, numClasses: 0 }, /"numClasses" must be a positive integer, got 0/],
    [{ ...GOOD, imgSize: 31.5 }, /"imgSize" must be a positive integer/],
    [{ ...GOOD, distilled: 'yes' }, /"distilled" must be true or false/],
    [{ ...GOOD, data: undefined }, /"data" must be an object, got nothing/],
    [{ ...GOOD, data: { ...GOOD.data, dataSet: 'svhn' } }, /run\.json data: "dataSet" must be mnist \| imagefolder \| cifar10 \| cifar100/],
    [{ ...GOOD, data: { ...GOOD.data, seed: -1 } }, /run\.json data: "seed" must be a non-negative integer/],
    [{ ...GOOD, data: { ...GOOD.data, testPerClass: 'all' } }, /run\.json data: "testPerClass" must be a non-negative integer/],
    [{ ...GOOD, normalization: { mean: [0, 0], std: [1, 1, 1] } }, /run\.json normalization: "mean" must be three numbers/],
    [{ ...GOOD, normalization: { mean: [0, 0, 0], std: [1, 0, 1] } }, /run\.json normalization: "std" must be three positive numbers/],
    [{ ...GOOD, kind: 'teacher', distilled: true }, /"distilled" must be false for a teacher run/],
    [[1, 2], /run\.json: must hold a JSON object/],
  ])('rejects a bad field (%#)', (json, message) => {
    expect(() => readRunInfo(runDir(json))).toThrow(message);
  });

  it('runFile names a missing file of the run', () => {
    const dir = runDir(GOOD);
    const info = readRunInfo(dir);
    expect(runFile(info, 'run.json')).toBe(join(dir, 'run.json'));
    expect(() => runFile(info, 'model.safetensors')).toThrow(`${join(dir, 'model.safetensors')}: missing from the run directory`);
  });
});
