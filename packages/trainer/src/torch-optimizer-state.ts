import { CheckpointError, type HostTensor, type ParamInfo, fromTorchLayout, numel, toFloat32, torchShapeOf } from '@deitjs/core';
import type { AdamWParamState } from './adamw.js';
import type { ParamGroup } from './param-groups.js';

function isHost(v: unknown): v is HostTensor {
  return typeof v === 'object' && v !== null && 'dtype' in v && 'shape' in v && 'data' in v;
}

function field(file: string, m: unknown, key: string, where: string): unknown {
  if (!(m instanceof Map) || !m.has(key)) throw new CheckpointError(file, `no "${key}" entry`, where);
  return m.get(key);
}

/**
 * Converts a PyTorch `torch.optim.AdamW.state_dict()` (as `readPth` returns it, e.g. `checkpoint.get('optimizer')` of a
 * deit training checkpoint) into {@link AdamWParamState}s by parameter name, so a deit/timm run can be continued here.
 * PyTorch identifies parameters only by position, so `groups` must be this model's groups in timm's order
 * (`paramGroups(...)`: no-decay first, then decay, each in model order), which is how deit created its optimizer.
 * Group sizes, moment shapes (PyTorch layout) and step counts are checked; errors name the file and the parameter.
 */
export function torchAdamWState(
  file: string,
  optimizer: unknown,
  groups: readonly ParamGroup[],
  params: ReadonlyMap<string, ParamInfo>,
): Map<string, AdamWParamState> {
  const torchGroups = field(file, optimizer, 'param_groups', 'optimizer');
  const state = field(file, optimizer, 'state', 'optimizer');
  if (!Array.isArray(torchGroups) || torchGroups.length !== groups.length) {
    throw new CheckpointError(file, `expected ${groups.length} parameter groups, found ${Array.isArray(torchGroups) ? torchGroups.length : 'none'}`, 'optimizer.param_groups');
  }
  if (!(state instanceof Map)) throw new CheckpointError(file, 'optimizer state is not a dict', 'optimizer.state');
  const out = new Map<string, AdamWParamState>();
  groups.forEach((g, gi) => {
    const ids = field(file, torchGroups[gi], 'params', `optimizer.param_groups.${gi}`);
    if (!Array.isArray(ids) || ids.length !== g.params.length) {
      throw new CheckpointError(file, `group ${gi} holds ${Array.isArray(ids) ? ids.length : '?'} parameters, the model's ${g.name} group ${g.params.length}`, `optimizer.param_groups.${gi}`);
    }
    g.params.forEach((name, j) => {
      const entry = state.get(ids[j]);
      // A parameter that never had a gradient has no state in PyTorch either.
      if (entry === undefined) return;
      const info = params.get(name);
      if (info === undefined) throw new CheckpointError(file, 'parameter not in the model', name);
      const where = `optimizer.state.${String(ids[j])} (${name})`;
      const want = torchShapeOf(info.layout, info.variable.shape);
      const moments = (['exp_avg', 'exp_avg_sq'] as const).map((k) => {
        const t = field(file, entry, k, where);
        if (!isHost(t)) throw new CheckpointError(file, `${k} is not a tensor`, where);
        if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i]) || numel(t.shape) !== t.data.length) {
          throw new CheckpointError(file, `${k} has shape [${t.shape.join(',')}], the parameter [${want.join(',')}]`, where);
        }
        return fromTorchLayout(info.layout, t);
      });
      const rawStep = field(file, entry, 'step', where);
      // torch ≥ 1.12 stores step as a 0-d float tensor, older versions as a Python number.
      const step = isHost(rawStep) ? toFloat32(rawStep)[0]! : rawStep;
      if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) throw new CheckpointError(file, `step ${String(step)} is not an integer ≥ 0`, where);
      out.set(name, { step, expAvg: moments[0]!.data, expAvgSq: moments[1]!.data, shape: moments[0]!.shape });
    });
  });
  return out;
}
