import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@deitjs/core';
import { readRunInfo } from '@deitjs/run';
import { afterAll, describe, expect, it } from 'vitest';
import { writeRunDir } from './test/run-dir.js';
import { analysisStudent, recordedTeacher } from './token-analysis.js';

const root = mkdtempSync(join(tmpdir(), 'deit-recipes-analysis-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('analysisStudent and recordedTeacher (no backend needed)', () => {
  it("takes a distilled student's model, size and normalisation from its run, and refuses anything else", () => {
    const distilled = readRunInfo(writeRunDir(root, 'distilled'));
    // The weights must be there: the choice names the missing file.
    expect(() => analysisStudent(distilled)).toThrow(`${join(distilled.dir, 'model.safetensors')}: missing from the run directory`);
    const plain = readRunInfo(writeRunDir(root, 'plain', { model: 'deit_mini_patch8_32', distilled: false }));
    expect(() => analysisStudent(plain)).toThrow(new ConfigError('--run', `${plain.dir} holds deit_mini_patch8_32, not a distilled DeiT: the cls/dist analysis needs a dist token`));
    const teacher = readRunInfo(writeRunDir(root, 'teacher', { kind: 'teacher', model: 'resnet_mnist', distilled: false }));
    expect(() => analysisStudent(teacher, '--student')).toThrow(/^--student: .*holds resnet_mnist, not a distilled DeiT/);
  });

  it('a recorded teacher run that is gone gives a warning and no teacher; none recorded gives none', () => {
    const warnings: string[] = [];
    const gone = join(root, 'deleted-teacher');
    expect(recordedTeacher(gone, (m) => warnings.push(m))).toBeUndefined();
    expect(recordedTeacher(undefined, (m) => warnings.push(m))).toBeUndefined();
    expect(warnings).toEqual([`the run's teacher run ${gone} is not there; analysing without a teacher (give --teacher-run)`]);
  });
});
