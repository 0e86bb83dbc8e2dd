import { ConfigError, type Teacher, tf } from '@deitjs/core';

/**
 * A teacher fed the student's images when their channel counts differ: a one-channel (grey) student's images are
 * repeated to the three channels an RGB teacher takes (grey as three equal channels, as the data sets make it).
 * The teacher is returned as is when the counts match; an RGB student with a grey teacher is a ConfigError.
 */
export function teacherForChannels<T extends Teacher>(teacher: T, teacherChans: number, studentChans: number, option: string): Teacher {
  if (teacherChans === studentChans) return teacher;
  if (!(studentChans === 1 && teacherChans === 3)) {
    throw new ConfigError(option, `the teacher takes ${teacherChans} input channels, the student ${studentChans} (use --in-chans ${teacherChans})`);
  }
  const fingerprint = (teacher as Partial<{ fingerprint(): string }>).fingerprint;
  return {
    name: teacher.name,
    numClasses: teacher.numClasses,
    predict: (images) => tf.tidy(() => teacher.predict(tf.tile(images, [1, 1, 1, 3]) as tf.Tensor4D)),
    // The teacher-output cache keys on the weights; the channel repeat is part of the view.
    ...(fingerprint !== undefined ? { fingerprint: () => `${fingerprint.call(teacher)}:grey3` } : {}),
  } as Teacher;
}
