import { type BatchSource, type Classifier, type DistilledLogits, tf } from '@deitjs/core';
import { type TeacherOutputsOptions, teacherOutputs } from './teacher-outputs.js';

/** Top-1 and top-5 accuracy in percent (top-5 is top-k with k = min(5, classes)). */
export interface TopK {
  /** Percent of samples whose highest logit is the label. */
  top1: number;
  /** Percent of samples whose label is among the five highest logits. */
  top5: number;
}

/** Fraction (percent) of samples on which a head's argmax equals the teacher's argmax. */
export interface TeacherAgreement {
  /** The eval output (mean of the heads for a distilled model). */
  output: number;
  /** The class-token head (distilled models). */
  cls?: number;
  /** The distillation-token head (distilled models). */
  dist?: number;
}

/** What {@link evaluate} measures; accuracies are percentages as deit logs them. */
export interface EvalMetrics extends TopK {
  /** Number of samples evaluated. */
  count: number;
  /** Mean cross-entropy of the eval output (deit evaluates with plain CE on the mean logits). */
  loss: number;
  /** The class-token head alone (distilled models). */
  cls?: TopK;
  /** The distillation-token head alone (distilled models). */
  dist?: TopK;
  /** Agreement with the teacher, when one is given. */
  teacherAgreement?: TeacherAgreement;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions extends TeacherOutputsOptions {
  /** Which epoch of the source to draw (default 0; eval sources usually ignore it). */
  epoch?: number;
}

/**
 * Evaluates a classifier in eval mode over one pass of `source`: top-1/top-5 of the output and, for a distilled
 * model (`returnBoth`), of each head; mean CE; agreement with a teacher. Soft targets count as their argmax.
 * Disposes every batch; one small read-back per batch.
 */
export async function evaluate(student: Classifier, source: BatchSource, options: EvaluateOptions = {}): Promise<EvalMetrics> {
  const k = Math.min(5, student.numClasses);
  // Order of the per-batch counters: loss sum, then (top1, top5, agree) for output, cls and dist.
  const sums = new Float64Array(10);
  let count = 0;
  let distilled = false;
  let withTeacher = false;
  for await (const batch of source.epoch(options.epoch ?? 0)) {
    try {
      const teacher = teacherOutputs(batch, student.numClasses, options);
      withTeacher = teacher !== undefined;
      let counts: tf.Tensor;
      try {
        counts = tf.tidy(() => {
          const raw = student.apply(batch.images, { training: false, returnBoth: true });
          // Duck-typed rather than instanceof, which fails across two tfjs-core copies.
          const both = 'cls' in raw && 'dist' in raw ? (raw as DistilledLogits) : undefined;
          distilled = both !== undefined;
          const output = both === undefined ? (raw as tf.Tensor2D) : tf.div(tf.add(both.cls, both.dist), 2);
          const labels = batch.targets.rank === 2 ? tf.argMax(batch.targets, 1) : tf.cast(batch.targets, 'int32');
          const teacherArg = teacher === undefined ? undefined : tf.argMax(teacher, 1);
          const stats = (logits: tf.Tensor): tf.Tensor[] => {
            const top = tf.topk(logits, k).indices;
            const hits = tf.cast(tf.equal(top, tf.expandDims(labels, 1)), 'float32');
            const top1 = tf.sum(tf.slice(hits, [0, 0], [-1, 1]));
            const top5 = tf.sum(hits);
            const agree = teacherArg === undefined ? tf.scalar(0) : tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), teacherArg), 'float32'));
            return [top1, top5, agree];
          };
          const logp = tf.logSoftmax(output);
          const lossSum = tf.neg(tf.sum(tf.mul(logp, tf.oneHot(labels, student.numClasses))));
          const zeros = [tf.scalar(0), tf.scalar(0), tf.scalar(0)];
          return tf.stack([lossSum, ...stats(output), ...(both ? stats(both.cls) : zeros), ...(both ? stats(both.dist) : zeros)]);
        });
      } finally {
        teacher?.dispose();
      }
      const v = await counts.data();
      counts.dispose();
      for (let i = 0; i < sums.length; i++) sums[i]! += v[i]!;
      count += batch.images.shape[0];
    } finally {
      batch.images.dispose();
      batch.targets.dispose();
    }
  }
  const pct = (x: number): number => (count === 0 ? 0 : (100 * x) / count);
  const metrics: EvalMetrics = { count, loss: count === 0 ? 0 : sums[0]! / count, top1: pct(sums[1]!), top5: pct(sums[2]!) };
  if (distilled) {
    metrics.cls = { top1: pct(sums[4]!), top5: pct(sums[5]!) };
    metrics.dist = { top1: pct(sums[7]!), top5: pct(sums[8]!) };
  }
  if (withTeacher) {
    metrics.teacherAgreement = { output: pct(sums[3]!) };
    if (distilled) {
      metrics.teacherAgreement.cls = pct(sums[6]!);
      metrics.teacherAgreement.dist = pct(sums[9]!);
    }
  }
  return metrics;
}
