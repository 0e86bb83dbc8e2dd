import type { Batch, Rng, tf } from '@deitjs/core';
import { tfjsEngine } from './gradient-engine.js';
import type { GradientModel, GradientResult } from './loss-gradients.js';
import { NonFiniteLossError } from './non-finite-loss-error.js';
import { teacherOutputs } from './teacher-outputs.js';
import type { TrainerOptions } from './trainer-options.js';

/** Where a micro-batch is: for the error a non-finite loss raises. */
export interface BatchPosition {
  /** Epoch (0-based). */
  epoch: number;
  /** Micro-batch index within the epoch (0-based). */
  index: number;
}

/**
 * Gradients of one micro-batch's loss, on this thread or split over `o.dataParallel`'s replicas. The teacher's pass
 * runs in the replicas when they hold their own teacher (and there is no cache: then each share's pass runs where
 * the share is trained); otherwise it runs here, or comes from the cache, and its logits travel with the shares.
 * Throws {@link NonFiniteLossError} (freeing the gradients) on a NaN/Inf loss.
 */
export async function batchGradients(
  o: TrainerOptions,
  variables: Map<string, tf.Variable>,
  batch: Batch,
  rng: Rng,
  at: BatchPosition,
): Promise<GradientResult> {
  const dp = o.dataParallel;
  const teacherInShares = dp !== undefined && o.teacherCache === undefined && o.teacher !== undefined && dp.replicasHaveTeacher;
  const teacher = teacherInShares
    ? undefined
    : teacherOutputs(batch, o.student.numClasses, {
        ...(o.teacher ? { teacher: o.teacher } : {}),
        ...(o.teacherCache ? { teacherCache: o.teacherCache } : {}),
      });
  const model: GradientModel = {
    student: o.student,
    loss: o.loss,
    variables,
    ...(teacherInShares ? { teacher: o.teacher! } : {}),
  };
  let r: GradientResult;
  try {
    r = dp !== undefined
      ? await dp.lossAndGradients(model, batch.images, batch.targets, teacher, rng)
      : await (o.engine ?? tfjsEngine).lossAndGradients(model, batch.images, batch.targets, teacher, rng);
  } finally {
    teacher?.dispose();
  }
  if (!Number.isFinite(r.loss)) {
    for (const g of r.grads.values()) g.dispose();
    throw new NonFiniteLossError(at.epoch, at.index, r.loss);
  }
  return r;
}
