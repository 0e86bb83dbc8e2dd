import { closeSync, openSync, readSync } from 'node:fs';
import { CheckpointError, fromTorchLayout, type HostTensor, Rng, quote, readPth, type StateDict, toFloat32 } from '@deitjs/core';
import type { CheckpointParts, TrainingState } from './checkpoint.js';
import { paramGroups } from './param-groups.js';
import { torchAdamWState } from './torch-optimizer-state.js';

/** What {@link loadDeitCheckpoint} restored, and what it could not. */
export interface DeitResume {
  /** Where the run continues: the epoch after the checkpoint's, at its first batch. */
  state: TrainingState;
  /** A fresh generator seeded with the run's seed (deit's RNG state is not in its checkpoint). */
  rng: Rng;
  /** What was taken from the checkpoint, one phrase each. */
  took: string[];
  /** What could not be taken or differs from this run, one sentence each. */
  notes: string[];
}

const isTensor = (v: unknown): v is HostTensor => typeof v === 'object' && v !== null && 'dtype' in v && 'shape' in v && 'data' in v;

/**
 * Whether `file` is a PyTorch `.pth` rather than a deitjs (safetensors) checkpoint: a zip archive (torch ≥ 1.6) or a
 * legacy pickle (PROTO 2, then LONG1 of torch's magic number: `80 02 8a 0a`; as a safetensors header length that
 * would be 176 MB).
 */
export function isTorchCheckpoint(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = new Uint8Array(4);
    if (readSync(fd, head, 0, 4, 0) !== 4) return false;
    const zip = head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
    return zip || (head[0] === 0x80 && head[1] === 0x02 && head[2] === 0x8a && head[3] === 0x0a);
  } finally {
    closeSync(fd);
  }
}

function stateDictAt(file: string, root: Map<unknown, unknown>, key: string): StateDict {
  const sd = root.get(key);
  if (!(sd instanceof Map) || ![...sd.values()].every(isTensor)) throw new CheckpointError(file, `"${key}" is not a state dict of tensors`, key);
  return sd as StateDict;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/**
 * Restores a run from deit main.py's training checkpoint (`checkpoint.pth`, as `torch.save` wrote it under torchrun):
 * the model weights (`model`), the AdamW moments and per-parameter steps (`optimizer`, matched to this model's
 * timm parameter groups), the EMA (`model_ema`, when this run uses one) and the position (`epoch`: the run
 * continues at the next epoch). The learning-rate schedule is this run's (`config.schedule`); where the
 * checkpoint's (`lr_scheduler`) differs, a note says how. The RNG state and data order cannot carry over.
 */
export function loadDeitCheckpoint(file: string, parts: CheckpointParts, config: Record<string, unknown>): DeitResume {
  const root = readPth(file);
  if (!(root instanceof Map) || !root.has('model')) throw new CheckpointError(file, 'not a deit training checkpoint: no "model" entry');
  const took: string[] = [];
  const notes: string[] = [];
  const params = parts.student.namedParams();
  const model = stateDictAt(file, root, 'model');

  const epochValue = root.get('epoch');
  if (epochValue !== undefined && (typeof epochValue !== 'number' || !Number.isInteger(epochValue) || epochValue < -1)) {
    throw new CheckpointError(file, `"epoch" is ${String(epochValue)}, not an epoch number`, 'epoch');
  }
  const epoch = typeof epochValue === 'number' ? epochValue + 1 : 0;
  if (epochValue === undefined) notes.push('the checkpoint has no "epoch": the run starts at epoch 0 with these weights');

  const weightDecay = num(config.weightDecay) ?? 0.05;
  const noDecay = Array.isArray(config.noDecay) ? (config.noDecay as string[]) : undefined;
  const groups = paramGroups(parts.student.trainableVariables(), { weightDecay, ...(noDecay ? { skip: noDecay } : {}) });
  const optimizer = root.get('optimizer');
  const optState = optimizer === undefined ? undefined : torchAdamWState(file, optimizer, groups, params);
  if (optState === undefined) notes.push('the checkpoint has no "optimizer": AdamW starts from zero moments');

  let emaValues: Map<string, Float32Array> | undefined;
  if (parts.ema !== undefined) {
    const ema = root.has('model_ema') ? stateDictAt(file, root, 'model_ema') : model;
    if (!root.has('model_ema')) notes.push('the checkpoint has no "model_ema": the EMA starts from the model weights');
    emaValues = new Map();
    for (const [name, info] of params) {
      const t = ema.get(name);
      if (t === undefined) throw new CheckpointError(file, 'missing from model_ema', name);
      emaValues.set(name, fromTorchLayout(info.layout, { ...t, data: toFloat32(t), dtype: 'F32' }).data);
    }
  } else if (root.has('model_ema')) notes.push('this run has no EMA (--model-ema-decay): the checkpoint\'s "model_ema" is not used');

  // Everything is checked above; now assign.
  parts.student.loadStateDict(model, { source: file });
  took.push('model weights');
  if (optState !== undefined) {
    parts.optimizer.loadState(optState);
    took.push(`AdamW state of ${optState.size} parameters`);
  }
  if (emaValues !== undefined) {
    parts.ema!.load(emaValues);
    if (root.has('model_ema')) took.push('EMA weights');
  }
  if (epochValue !== undefined) took.push(`position (continuing at epoch ${epoch})`);
  scheduleNotes(root.get('lr_scheduler'), config, notes);
  if (optimizer instanceof Map) optimizerNotes(optimizer.get('param_groups'), groups.map((g) => g.weightDecay), config, notes);
  notes.push('not carried over: the random generator state and the data order, so the continued run is equivalent to deit\'s, not bit-identical');

  const schedule = config.schedule as { updatesPerEpoch?: number } | undefined;
  const seed = num(config.seed) ?? 0;
  const rng = new Rng(seed);
  const state: TrainingState = {
    epoch,
    batchInEpoch: 0,
    // This run's update count at the start of `epoch` (deit's own count depends on its batch size and GPUs).
    update: epoch * (schedule?.updatesPerEpoch ?? 0),
    rng: rng.state(),
    epochLoss: { sum: 0, count: 0, parts: {} },
    best: null,
    config,
  };
  return { state, rng, took, notes };
}

/** Notes where deit's timm scheduler differs from this run's schedule (which is the one used). */
function scheduleNotes(sched: unknown, config: Record<string, unknown>, notes: string[]): void {
  if (!(sched instanceof Map)) {
    notes.push('the checkpoint has no "lr_scheduler": this run\'s schedule is used');
    return;
  }
  const ours = config.schedule as { lr?: number; minLr?: number; warmupLr?: number; warmupEpochs?: number; epochs?: number } | undefined;
  if (ours === undefined) return;
  const base = Array.isArray(sched.get('base_values')) ? num((sched.get('base_values') as unknown[])[0]) : undefined;
  const pairs: [string, unknown, number | undefined][] = [
    ['peak lr (base_values)', base, ours.lr],
    ['min lr (lr_min)', sched.get('lr_min'), ours.minLr],
    ['warmup lr (warmup_lr_init)', sched.get('warmup_lr_init'), ours.warmupLr],
    ['warmup epochs (warmup_t)', sched.get('warmup_t'), ours.warmupEpochs],
    ['cosine length (t_initial)', sched.get('t_initial'), ours.epochs],
  ];
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  const differ = pairs.filter(([, theirs, mine]) => typeof theirs === 'number' && mine !== undefined && !close(theirs, mine));
  if (differ.length > 0) {
    notes.push(`this run's schedule is used; the checkpoint's differs in ${differ.map(([what, theirs, mine]) => `${what} ${String(theirs)} vs ${mine}`).join(', ')}`);
  }
}

/** Notes where deit's AdamW hyper-parameters (weight decay per group, betas, eps) differ from this run's, which are used. */
function optimizerNotes(torchGroups: unknown, decays: number[], config: Record<string, unknown>, notes: string[]): void {
  if (!Array.isArray(torchGroups)) return;
  const differ: string[] = [];
  const betas = Array.isArray(config.betas) ? (config.betas as number[]) : [0.9, 0.999];
  const eps = num(config.eps) ?? 1e-8;
  torchGroups.forEach((g, i) => {
    if (!(g instanceof Map)) return;
    const wd = num(g.get('weight_decay'));
    if (wd !== undefined && decays[i] !== undefined && wd !== decays[i]) differ.push(`group ${i} weight decay ${wd} vs ${decays[i]}`);
    const b = g.get('betas');
    if (i === 0 && Array.isArray(b) && (b[0] !== betas[0] || b[1] !== betas[1])) differ.push(`betas ${quote(b)} vs ${quote(betas)}`);
    const e = num(g.get('eps'));
    if (i === 0 && e !== undefined && e !== eps) differ.push(`eps ${e} vs ${eps}`);
  });
  if (differ.length > 0) notes.push(`this run's AdamW settings are used; the checkpoint's differ in ${differ.join(', ')}`);
}
