import { ConfigError, workerScript } from '@deitjs/core';
import { type DistillationType, baseCriterion, distillationLoss } from '@deitjs/losses';
import { createModel } from '@deitjs/models';
import { createTeacher } from '@deitjs/teachers';
import type { Replica } from '@deitjs/trainer';

/** What a data-parallel replica builds: plain data, sent to each worker thread. */
export interface ReplicaSpec {
  /** A registered name of `@deitjs/models` (a DeiT or a CNN). */
  model: string;
  /** Output classes. */
  numClasses: number;
  /** Input size (DeiTs). */
  imgSize?: number;
  /** Stochastic depth (DeiTs). */
  dropPathRate?: number;
  /** Input channels (default 3; 1 for grey data). */
  inChans?: number;
  /** The loss: deit's base criterion inside its DistillationLoss. */
  loss: { type: DistillationType; alpha?: number; tau?: number; mixup: boolean; smoothing: number; bceLoss?: boolean };
  /** A registered teacher each replica runs on its own share (otherwise teacher logits come with the share). */
  teacher?: { name: string; weights?: string };
}

/** Builds the model, loss and optional teacher of a replica from its spec (in the worker thread). */
export function buildReplica(spec: ReplicaSpec): Replica {
  // One registry for DeiTs and CNNs (a CNN ignores the DeiT-only options); an unknown name is its ConfigError.
  const student = createModel(spec.model, { numClasses: spec.numClasses, imgSize: spec.imgSize, dropPathRate: spec.dropPathRate, inChans: spec.inChans, warn: () => undefined });
  const loss = distillationLoss({
    base: baseCriterion({ mixup: spec.loss.mixup, smoothing: spec.loss.smoothing, bceLoss: spec.loss.bceLoss ?? false }),
    type: spec.loss.type,
    ...(spec.loss.alpha !== undefined ? { alpha: spec.loss.alpha } : {}),
    ...(spec.loss.tau !== undefined ? { tau: spec.loss.tau } : {}),
  });
  if (spec.teacher === undefined) return { student, loss };
  const teacher = createTeacher(spec.teacher.name, { numClasses: spec.numClasses, weights: spec.teacher.weights, warn: () => undefined });
  return { student, loss, teacher };
}

/** The worker script of the data-parallel replicas (`replica.js` beside this module when built, else bundled from the sources). */
export function replicaScript(): Promise<URL> {
  return workerScript(new URL('./replica.js', import.meta.url), new URL('./replica.ts', import.meta.url), 'data-parallel replica');
}

/** Validates a `--data-parallel` value: threads in all (this one included), 1 = off. */
export function dataParallelThreads(flag: string, value: number | undefined): number {
  const n = value ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new ConfigError(flag, `must be an integer from 1 (off) to 64, got ${value}`);
  return n;
}
