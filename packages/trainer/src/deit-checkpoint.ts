import {
  type HostTensor,
  PyFloat,
  PyGlobal,
  PyNewObj,
  PyTuple,
  type StateDict,
  toTorchLayout,
  torchStateDict,
  writePth,
} from '@deitjs/core';
import { type CheckpointParts, type TrainingState, loadCheckpoint } from './checkpoint.js';
import { cosineLr, type LrScheduleOptions } from './lr-schedule.js';
import { paramGroups } from './param-groups.js';

/** Options of {@link deitCheckpoint}. */
export interface DeitCheckpointOptions {
  /**
   * Also write `args`, an `argparse.Namespace` of deit's option names, as main.py does (default false: main.py does
   * not read it back, and torch ≥ 2.6 `torch.load`, whose default `weights_only=True` refuses a Namespace, would then
   * need `weights_only=False`).
   */
  args?: boolean;
}

/** What {@link deitCheckpoint} built: deit main.py's checkpoint dict, and what did not carry over. */
export interface DeitCheckpointExport {
  /** `{model, optimizer, lr_scheduler, epoch, model_ema, scaler[, args]}` as values `writePth` takes. */
  checkpoint: Map<string, unknown>;
  /** The last epoch the checkpoint counts as complete (deit resumes at `epoch + 1`). */
  epoch: number;
  /** What the export could not carry or had to assume, one sentence each. */
  notes: string[];
}

/** The settings a run's checkpoint records (`TrainingState.config`) that the export needs. */
interface RecordedConfig {
  seed: number;
  schedule: Required<LrScheduleOptions>;
  weightDecay: number;
  noDecay: string[] | null;
  betas: [number, number];
  eps: number;
  emaDecay: number | null;
  batchSize: number | null;
  worldSize: number;
  accumulation: number;
  lr: number;
}

/** A float as Python writes it, also when integral (`1.0`, `0.0`). */
const float = (x: number) => new PyFloat(x);

/**
 * timm `CosineLRScheduler.state_dict()` (its `__dict__` minus the optimizer, timm 0.9–1.0 field order) for the
 * schedule deit's `create_scheduler` builds: per-epoch steps, cycle_limit 1, `warmup_prefix` False, no noise,
 * `noise_seed` = the run's seed, `cycle_decay` = deit's `--decay-rate` default 0.1.
 */
export function timmCosineSchedulerState(schedule: Required<LrScheduleOptions>, seed: number, groups: number): Map<string, unknown> {
  const base = Array.from({ length: groups }, () => float(schedule.lr));
  const warmupSteps = Array.from({ length: groups }, () =>
    schedule.warmupEpochs > 0 ? float((schedule.lr - schedule.warmupLr) / schedule.warmupEpochs) : 1,
  );
  return new Map<string, unknown>([
    ['param_group_field', 'lr'],
    ['_initial_param_group_field', 'initial_lr'],
    ['base_values', base],
    ['metric', null],
    ['t_in_epochs', true],
    ['noise_range_t', null],
    ['noise_pct', float(0.67)],
    ['noise_type', 'normal'],
    ['noise_std', float(1)],
    ['noise_seed', seed],
    ['t_initial', schedule.epochs],
    ['lr_min', float(schedule.minLr)],
    ['cycle_mul', float(1)],
    ['cycle_decay', float(0.1)],
    ['cycle_limit', 1],
    ['warmup_t', schedule.warmupEpochs],
    ['warmup_lr_init', float(schedule.warmupLr)],
    ['warmup_prefix', false],
    ['k_decay', float(1)],
    ['warmup_steps', warmupSteps],
  ]);
}

/** A fresh `torch.cuda.amp.GradScaler().state_dict()`: loads into deit's scaler on GPUs (an empty dict would not). */
const FRESH_GRAD_SCALER = new Map<string, unknown>([
  ['scale', float(65536)],
  ['growth_factor', float(2)],
  ['backoff_factor', float(0.5)],
  ['growth_interval', 2000],
  ['_growth_tracker', 0],
]);

function stateDictOf(sd: StateDict): ReturnType<typeof torchStateDict> {
  return torchStateDict(sd);
}

/**
 * deit `main.py`'s training checkpoint for a run's current state: `model` (state dict), `optimizer` (torch AdamW
 * `state_dict()`: parameters numbered in timm's group order, no-decay group first, each in model order; per
 * parameter `step` as a 0-d float tensor and `exp_avg`/`exp_avg_sq` in PyTorch layout; `param_groups` with every key
 * torch 1.13–2.x AdamW writes), `lr_scheduler` (timm CosineLRScheduler), `epoch` (the last complete one), `model_ema`
 * (the EMA, or the model's weights when the run has none: deit's `--model-ema` is on by default and needs them),
 * `scaler` (a fresh GradScaler's state) and, with `options.args`, `args` (an `argparse.Namespace` of deit's option
 * names, for the record). Every value but `args` is one torch ≥ 2.4's `weights_only` loader accepts.
 */
export function deitCheckpoint(parts: CheckpointParts, state: TrainingState, options: DeitCheckpointOptions = {}): DeitCheckpointExport {
  const config = state.config as unknown as RecordedConfig;
  const { schedule } = config;
  const notes: string[] = [];
  const params = parts.student.namedParams();
  const groups = paramGroups(parts.student.trainableVariables(), { weightDecay: config.weightDecay, ...(config.noDecay ? { skip: config.noDecay } : {}) });
  const epoch = state.epoch - 1;
  if (state.batchInEpoch > 0) {
    notes.push(`the checkpoint is ${state.batchInEpoch} batches into epoch ${state.epoch}: deit restarts that epoch from its first batch, so those batches are trained twice`);
  }
  if (schedule.stepping === 'step') notes.push('this run set the learning rate per update; deit sets it per epoch from here on');
  // What timm's scheduler left in the optimizer after deit's `lr_scheduler.step(epoch)`.
  const lr = cosineLr(Math.max(epoch, 0), { lr: schedule.lr, minLr: schedule.minLr, warmupLr: schedule.warmupLr, warmupT: schedule.warmupEpochs, tInitial: schedule.epochs });

  const optState = parts.optimizer.state();
  const torchState = new Map<number, unknown>();
  const betas = new PyTuple(config.betas.map(float));
  let index = 0;
  const paramGroupsOut = groups.map((g) => {
    const ids: number[] = [];
    for (const name of g.params) {
      const s = optState.get(name);
      if (s !== undefined) {
        const layout = params.get(name)!.layout;
        const step: HostTensor = { dtype: 'F32', shape: [], data: Float32Array.of(s.step) };
        torchState.set(
          index,
          new Map<string, unknown>([
            ['step', step],
            ['exp_avg', toTorchLayout(layout, s.expAvg, s.shape)],
            ['exp_avg_sq', toTorchLayout(layout, s.expAvgSq, s.shape)],
          ]),
        );
      }
      ids.push(index++);
    }
    // torch 2.x key order: timm's weight_decay first, AdamW's defaults, timm's initial_lr, then params.
    return new Map<string, unknown>([
      ['weight_decay', float(g.weightDecay)],
      ['lr', float(lr)],
      ['betas', betas],
      ['eps', float(config.eps)],
      ['amsgrad', false],
      ['foreach', null],
      ['maximize', false],
      ['capturable', false],
      ['differentiable', false],
      ['fused', null],
      // torch ≥ 2.6 AdamW (an Adam subclass) writes this; older versions ignore it.
      ['decoupled_weight_decay', true],
      ['initial_lr', float(schedule.lr)],
      ['params', ids],
    ]);
  });

  const model = parts.student.stateDict();
  let ema: StateDict;
  if (parts.ema !== undefined) ema = parts.ema.stateDict();
  else {
    ema = model;
    notes.push("this run has no EMA: model_ema holds the model's weights, which is where deit's --model-ema would start an average");
  }
  notes.push('not carried over: the random generator state and the data order (deit draws its own), so the continued run is equivalent, not bit-identical');

  const args = new PyNewObj(
    new PyGlobal('argparse', 'Namespace'),
    new PyTuple([]),
    new Map<string, unknown>([
      ['batch_size', config.batchSize ?? null],
      ['epochs', schedule.epochs],
      ['lr', float(schedule.lr)],
      ['min_lr', float(schedule.minLr)],
      ['warmup_lr', float(schedule.warmupLr)],
      ['warmup_epochs', schedule.warmupEpochs],
      ['weight_decay', float(config.weightDecay)],
      ['opt', 'adamw'],
      ['opt_eps', float(config.eps)],
      ['opt_betas', betas],
      ['sched', 'cosine'],
      ['model_ema', config.emaDecay !== null],
      ['model_ema_decay', float(config.emaDecay ?? 0.99996)],
      ['seed', config.seed],
      ['world_size', config.worldSize],
      ['start_epoch', 0],
    ]),
  );
  const checkpoint = new Map<string, unknown>([
    ['model', stateDictOf(model)],
    [
      'optimizer',
      new Map<string, unknown>([
        ['state', torchState],
        ['param_groups', paramGroupsOut],
      ]),
    ],
    ['lr_scheduler', timmCosineSchedulerState(schedule, config.seed, groups.length)],
    ['epoch', epoch],
    ['model_ema', stateDictOf(ema)],
    ['scaler', FRESH_GRAD_SCALER],
  ]);
  if (options.args === true) checkpoint.set('args', args);
  return { checkpoint, epoch, notes };
}

/**
 * Converts a deitjs training checkpoint (`checkpoint-last.safetensors` of a run) into deit main.py's
 * `checkpoint.pth` at `output` (atomic), for `torchrun … main.py --resume output`. `parts` must be built as the
 * run's (same model, EMA on when the run used it); the checkpoint is loaded into them. Returns the notes.
 */
export function exportDeitCheckpoint(
  runCheckpoint: string,
  parts: CheckpointParts,
  output: string,
  options: DeitCheckpointOptions = {},
): Omit<DeitCheckpointExport, 'checkpoint'> {
  const state = loadCheckpoint(runCheckpoint, parts);
  const { checkpoint, ...rest } = deitCheckpoint(parts, state, options);
  writePth(output, checkpoint);
  return rest;
}
