import { type Batch, ConfigError, ShapeError, type Teacher, tf } from '@deitjs/core';

/**
 * Precomputed teacher outputs looked up by dataset index: logits `[batch, classes]`, or argmax labels `[batch]`
 * (int32; enough for hard distillation, which only uses the teacher's argmax). The trainer disposes the result.
 */
export type TeacherCache = (indices: Int32Array) => tf.Tensor2D | tf.Tensor1D;

/** Where teacher outputs come from: a live teacher (run without gradients) or a cache. */
export interface TeacherOutputsOptions {
  /** A live teacher; `predict` runs on the student's batch. */
  teacher?: Teacher;
  /** Precomputed outputs by dataset index (needs `batch.indices`); wins over `teacher` when both are given. */
  teacherCache?: TeacherCache;
}

/**
 * The teacher logits for a batch, or undefined when there is no teacher. Cached labels become one-hot rows,
 * whose argmax is the label: right for hard distillation, meaningless for soft (use cached logits there).
 */
export function teacherOutputs(batch: Batch, numClasses: number, options: TeacherOutputsOptions): tf.Tensor2D | undefined {
  const n = batch.images.shape[0];
  let out: tf.Tensor2D;
  if (options.teacherCache !== undefined) {
    if (batch.indices === undefined) throw new ConfigError('teacherCache', 'the batch source gives no sample indices, which a teacher-output cache needs');
    if (batch.indices.length !== n) throw new ShapeError('batch.indices', `${batch.indices.length} indices for ${n} images`);
    const cached = options.teacherCache(batch.indices);
    if (cached.rank === 1) {
      out = tf.tidy(() => tf.cast(tf.oneHot(tf.cast(cached, 'int32'), numClasses), 'float32') as tf.Tensor2D);
      cached.dispose();
    } else {
      out = cached as tf.Tensor2D;
    }
  } else if (options.teacher !== undefined) {
    out = tf.tidy(() => options.teacher!.predict(batch.images));
  } else {
    return undefined;
  }
  if (out.rank !== 2 || out.shape[0] !== n || out.shape[1] !== numClasses) {
    const shape = out.shape.join(',');
    out.dispose();
    throw new ShapeError('teacher outputs', `expected [${n}, ${numClasses}], got [${shape}]`);
  }
  return out;
}
