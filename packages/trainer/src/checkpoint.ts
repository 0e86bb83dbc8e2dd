import {
  CheckpointError,
  fromTorchLayout,
  type HostTensor,
  type ParamInfo,
  type RngState,
  readSafetensors,
  readSafetensorsHeader,
  type StateDict,
  toTorchLayout,
  writeSafetensors,
} from '@deitjs/core';
import type { AdamW, AdamWParamState } from './adamw.js';
import type { ModelEma } from './model-ema.js';
import type { Student } from './student.js';

/** Where a run stands: everything besides tensors that resuming needs. */
export interface TrainingState {
  /** The epoch in progress, or the next one to run when `batchInEpoch` is 0. */
  epoch: number;
  /** Micro-batches of `epoch` already trained (always at an optimiser-update boundary). */
  batchInEpoch: number;
  /** Optimiser updates so far over the whole run. */
  update: number;
  /** State of the trainer's generator (drop path and other training-time draws). */
  rng: RngState;
  /** Running sums and count of the per-batch losses (and named loss parts) of the epoch in progress. */
  epochLoss: { sum: number; count: number; parts: Record<string, number> };
  /** The best evaluation so far: which metric, its value, the epoch it came from. */
  best: { metric: string; value: number; epoch: number } | null;
  /** The run's configuration, for the record. */
  config: Record<string, unknown>;
}

/** The metadata key under which a checkpoint stores its {@link TrainingState} (JSON). */
export const CHECKPOINT_STATE_KEY = 'deitjs.trainer';
const FORMAT_VERSION = 1;

/** What a training checkpoint holds besides its state: the model, the optimiser and the EMA (when on). */
export interface CheckpointParts {
  student: Student;
  optimizer: AdamW;
  ema?: ModelEma | undefined;
}

/**
 * Writes a training checkpoint as one safetensors file (atomic): `model.<name>` (PyTorch layout),
 * `optimizer.exp_avg.<name>` / `optimizer.exp_avg_sq.<name>` (PyTorch layout), `ema.<name>` when EMA is on;
 * metadata `format: pt` and the {@link TrainingState} plus per-parameter optimiser steps as JSON.
 */
export function saveCheckpoint(file: string, parts: CheckpointParts, state: TrainingState): void {
  const params = parts.student.namedParams();
  const tensors: StateDict = new Map();
  for (const [k, t] of parts.student.stateDict()) tensors.set(`model.${k}`, t);
  const steps: Record<string, number> = {};
  for (const [k, s] of parts.optimizer.state()) {
    const layout = params.get(k)?.layout ?? 'as-is';
    tensors.set(`optimizer.exp_avg.${k}`, toTorchLayout(layout, s.expAvg, s.shape));
    tensors.set(`optimizer.exp_avg_sq.${k}`, toTorchLayout(layout, s.expAvgSq, s.shape));
    steps[k] = s.step;
  }
  if (parts.ema !== undefined) for (const [k, t] of parts.ema.stateDict()) tensors.set(`ema.${k}`, t);
  const meta = { version: FORMAT_VERSION, ...state, optimizerSteps: steps, ema: parts.ema !== undefined };
  writeSafetensors(file, tensors, { format: 'pt', [CHECKPOINT_STATE_KEY]: JSON.stringify(meta) });
}

function parseState(file: string): TrainingState & { optimizerSteps: Record<string, number>; ema: boolean } {
  const raw = readSafetensorsHeader(file).metadata[CHECKPOINT_STATE_KEY];
  if (raw === undefined) throw new CheckpointError(file, `not a deitjs training checkpoint (no "${CHECKPOINT_STATE_KEY}" metadata)`);
  let meta: unknown;
  try {
    meta = JSON.parse(raw);
  } catch (err) {
    throw new CheckpointError(file, `"${CHECKPOINT_STATE_KEY}" metadata is not JSON`, undefined, { cause: err });
  }
  const m = meta as Record<string, unknown>;
  if (m.version !== FORMAT_VERSION) throw new CheckpointError(file, `unsupported checkpoint version ${String(m.version)}`);
  const ints = ['epoch', 'batchInEpoch', 'update'] as const;
  for (const k of ints) {
    if (!Number.isInteger(m[k]) || (m[k] as number) < 0) throw new CheckpointError(file, `metadata field ${k} is not an integer ≥ 0`);
  }
  const rng = m.rng;
  if (!Array.isArray(rng) || rng.length !== 4 || !rng.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32)) {
    throw new CheckpointError(file, 'metadata field rng is not four 32-bit words');
  }
  const { version: _version, ...rest } = m;
  return rest as unknown as TrainingState & { optimizerSteps: Record<string, number>; ema: boolean };
}

/** Reads only the {@link TrainingState} of a checkpoint. */
export function readCheckpointState(file: string): TrainingState {
  const { optimizerSteps: _steps, ema: _ema, ...state } = parseState(file);
  return state;
}

function take(sd: StateDict, prefix: string): StateDict {
  const out: StateDict = new Map();
  for (const [k, t] of sd) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), t);
  return out;
}

function toTf(file: string, name: string, layout: ParamInfo['layout'] | undefined, t: HostTensor | undefined): { data: Float32Array; shape: number[] } {
  if (t === undefined) throw new CheckpointError(file, 'missing tensor', name);
  return fromTorchLayout(layout ?? 'as-is', t);
}

/**
 * Restores model weights, optimiser state and EMA from a checkpoint written by {@link saveCheckpoint}, and
 * returns the {@link TrainingState}. Mismatched model keys throw core's StateDictMismatchError before anything is
 * assigned; missing optimiser or EMA tensors throw a {@link CheckpointError} naming the tensor.
 */
export function loadCheckpoint(file: string, parts: CheckpointParts): TrainingState {
  const { optimizerSteps, ema: hasEma, ...state } = parseState(file);
  if (parts.ema !== undefined && !hasEma) throw new CheckpointError(file, 'the run uses EMA but the checkpoint holds no EMA weights');
  const sd = readSafetensors(file);
  const params = parts.student.namedParams();
  const optState = new Map<string, AdamWParamState>();
  for (const [k, step] of Object.entries(optimizerSteps)) {
    const layout = params.get(k)?.layout;
    if (layout === undefined) throw new CheckpointError(file, 'optimizer state for a parameter the model does not have', k);
    const m = toTf(file, `optimizer.exp_avg.${k}`, layout, sd.get(`optimizer.exp_avg.${k}`));
    const v = toTf(file, `optimizer.exp_avg_sq.${k}`, layout, sd.get(`optimizer.exp_avg_sq.${k}`));
    optState.set(k, { step, expAvg: m.data, expAvgSq: v.data, shape: m.shape });
  }
  let emaValues: Map<string, Float32Array> | undefined;
  if (parts.ema !== undefined) {
    emaValues = new Map();
    for (const [k, info] of params) emaValues.set(k, toTf(file, `ema.${k}`, info.layout, sd.get(`ema.${k}`)).data);
  }
  parts.student.loadStateDict(take(sd, 'model.'), { source: file });
  parts.optimizer.loadState(optState);
  if (emaValues !== undefined) parts.ema!.load(emaValues);
  return state;
}
