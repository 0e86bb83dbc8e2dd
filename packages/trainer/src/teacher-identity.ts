import type { Teacher } from '@deitjs/core';

/** The config key under which checkpoints record the teacher's weights fingerprint. */
export const TEACHER_FINGERPRINT_KEY = 'teacherFingerprint';

/**
 * The fingerprint of a teacher that offers one (`fingerprint()`: the teachers of @deitjs/teachers and
 * @deitjs/onnx hash their architecture and weights), else undefined. Core's `Teacher` does not require it, so it is
 * looked up; a teacher that cannot fingerprint itself is recorded as unknown rather than failing the run.
 */
export function teacherFingerprint(teacher: Teacher | undefined): string | undefined {
  const f = (teacher as { fingerprint?: unknown } | undefined)?.fingerprint;
  if (typeof f !== 'function') return undefined;
  try {
    const v: unknown = f.call(teacher);
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

const short = (fp: string): string => fp.slice(0, 12);

/**
 * A warning when a checkpoint's run was distilled from another teacher than the resuming run's (different
 * fingerprints, or a teacher on one side only); undefined when they agree or either side's fingerprint is unknown.
 */
export function teacherChangeWarning(saved: Record<string, unknown>, current: Record<string, unknown>): string | undefined {
  const was = saved[TEACHER_FINGERPRINT_KEY];
  const now = current[TEACHER_FINGERPRINT_KEY];
  const name = (c: Record<string, unknown>): string => (typeof c.distillation === 'string' ? c.distillation : 'none');
  const hadTeacher = saved.distillation !== null && saved.distillation !== undefined;
  const hasTeacher = current.distillation !== null && current.distillation !== undefined;
  if (hadTeacher !== hasTeacher && (typeof was === 'string' || typeof now === 'string')) {
    return hadTeacher
      ? `the checkpoint was distilled from teacher ${name(saved)}; this run has no teacher`
      : `the checkpoint was trained without a teacher; this run distills from ${name(current)}`;
  }
  if (typeof was !== 'string' || typeof now !== 'string' || was === now) return undefined;
  return (
    `resuming with another teacher: the checkpoint was distilled from ${name(saved)} (weights fingerprint ${short(was)}…), ` +
    `this run's teacher ${name(current)} has fingerprint ${short(now)}… (other weights, input mapping or engine); the distillation targets change from here on`
  );
}
