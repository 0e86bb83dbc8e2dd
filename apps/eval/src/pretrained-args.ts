import { ConfigError } from '@deitjs/core';
import { isRemoteWeights, resolveWeightsArg } from '@deitjs/recipes';
import type { CliIO } from './cli-io.js';
import type { CommandArgs, CommandOptions } from './command.js';

/** A command's flags plus `--pretrained` when it takes `--weights` (any command that builds a model by name). */
export function withPretrainedFlag(options: CommandOptions | undefined): CommandOptions | undefined {
  return options !== undefined && Object.hasOwn(options, 'weights') ? { ...options, pretrained: { type: 'boolean' } } : options;
}

// Each downloadable weights flag and the flag naming its model.
const WEIGHT_FLAGS: Array<[weights: string, name: string]> = [
  ['weights', 'model'],
  ['teacher-weights', 'teacher'],
];

/**
 * The flags with `--pretrained` (timm's weights of `--model`) and a downloadable `--weights`/`--teacher-weights`
 * (`pretrained`, `hf-hub:<org/name>[@revision]`, an https URL) replaced by cached files, downloaded first if needed
 * (progress on stderr); commands then read files as always.
 */
export async function resolveRemoteWeights(values: CommandArgs['values'], io: CliIO): Promise<CommandArgs['values']> {
  const out = { ...values };
  const pretrained = out.pretrained === true;
  if (pretrained) {
    if (out.run !== undefined) throw new ConfigError('--pretrained', 'applies to --model NAME, not to --run (a run has its weights)');
    if (out.weights !== undefined) throw new ConfigError('--pretrained', 'give either --pretrained or --weights, not both');
    if (typeof out.model !== 'string') throw new ConfigError('--pretrained', 'needs --model NAME');
    out.weights = 'pretrained';
  }
  delete out.pretrained;
  const log = (line: string) => io.stderr.write(`deit-eval: ${line}\n`);
  for (const [flag, nameFlag] of WEIGHT_FLAGS) {
    const spec = out[flag];
    if (typeof spec !== 'string' || !isRemoteWeights(spec)) continue;
    const name = out[nameFlag];
    if (typeof name !== 'string') throw new ConfigError(`--${flag}`, `downloading ${spec} needs --${nameFlag} NAME`);
    const option = pretrained && flag === 'weights' ? '--pretrained' : `--${flag}`;
    out[flag] = await resolveWeightsArg(name, spec, { env: io.env, log, option });
  }
  return out;
}
