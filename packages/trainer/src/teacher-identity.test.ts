import { describe, expect, it } from 'vitest';
import { teacherChangeWarning, teacherFingerprint } from './teacher-identity.js';

const fp = (c: string) => c.repeat(64);
const teacher = { name: 't', numClasses: 2, predict: () => undefined as never };

describe('teacher identity across a resume', () => {
  it('reads a teacher fingerprint when the teacher offers one; unknown otherwise or when it throws', () => {
    expect(teacherFingerprint({ ...teacher, fingerprint: () => fp('a') } as never)).toBe(fp('a'));
    expect(teacherFingerprint(teacher)).toBeUndefined();
    expect(teacherFingerprint(undefined)).toBeUndefined();
    expect(
      teacherFingerprint({
        ...teacher,
        fingerprint: () => {
          throw new Error('no weights');
        },
      } as never),
    ).toBeUndefined();
  });

  it('warns on another fingerprint, or a teacher on one side only; quiet when equal or unknown', () => {
    const a = { distillation: 'resnet50', teacherFingerprint: fp('a') };
    const b = { distillation: 'resnet50', teacherFingerprint: fp('b') };
    const none = { distillation: null, teacherFingerprint: null };
    expect(teacherChangeWarning(a, b)).toMatch(/^resuming with another teacher: .*resnet50 \(weights fingerprint aaaaaaaaaaaa…\), this run's teacher resnet50 has fingerprint bbbbbbbbbbbb…/);
    expect(teacherChangeWarning(a, { ...a })).toBeUndefined();
    expect(teacherChangeWarning(a, none)).toBe('the checkpoint was distilled from teacher resnet50; this run has no teacher');
    expect(teacherChangeWarning(none, b)).toBe('the checkpoint was trained without a teacher; this run distills from resnet50');
    // A checkpoint from before fingerprints were recorded, or a teacher that cannot fingerprint itself: no claim either way.
    expect(teacherChangeWarning({ distillation: 'resnet50' }, b)).toBeUndefined();
    expect(teacherChangeWarning(a, { distillation: 'resnet50', teacherFingerprint: null })).toBeUndefined();
    expect(teacherChangeWarning(none, none)).toBeUndefined();
  });
});
