import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '@deitjs/core';
import type { DeiT } from '@deitjs/models';
import { loadModel, runModelChoice } from '@deitjs/recipes';
import { RUN_FILES, readRunInfo } from '@deitjs/run';
import { AdamW, exportDeitCheckpoint, ModelEma, paramGroups, readCheckpointState } from '@deitjs/trainer';
import { useBackend } from '../command.js';
import { stringFlag } from '../flags.js';
import type { ExportFormat } from './export.js';

/** deit-train's options as a run's checkpoint records them (`config.options`), where present. */
interface RecordedOptions {
  model?: string;
  inputSize?: number;
  batchSize?: number;
  epochs?: number;
  accumSteps?: number;
  distillationType?: string;
  teacher?: string;
}

/**
 * The `torchrun` line that continues the run under deit's main.py: the options that must match it (model, input
 * size, epochs; per-GPU batch so that batch × GPUs is the run's batch) from the run's recorded options.
 */
function torchrunLine(o: RecordedOptions, model: string, output: string): string {
  const parts = ['torchrun --nproc_per_node=N main.py', `--model ${o.model ?? model}`];
  if (o.inputSize !== undefined) parts.push(`--input-size ${o.inputSize}`);
  if (o.batchSize !== undefined) parts.push(`--batch-size <${o.batchSize * (o.accumSteps ?? 1)}/N>`);
  if (o.epochs !== undefined) parts.push(`--epochs ${o.epochs}`);
  if (o.distillationType !== undefined && o.distillationType !== 'none') parts.push(`--distillation-type ${o.distillationType} --teacher-model ${o.teacher ?? '<teacher>'} --teacher-path <teacher.pth>`);
  parts.push(`--resume ${output}`, '--data-path <data> --output_dir <dir>');
  return parts.join(' ');
}

/** `deit-eval export --format deit-checkpoint --run DIR --output checkpoint.pth`. */
export const deitCheckpointFormat: ExportFormat = {
  usage: [
    '  --run DIR         a deit-train run directory (its checkpoint-last.safetensors is exported)',
    '  --output FILE     where to write deit main.py\'s checkpoint (model, optimizer, lr_scheduler, epoch, model_ema,',
    '                    scaler), for: torchrun --nproc_per_node=N main.py --resume FILE ...',
    '  A checkpoint taken mid-epoch counts as of the previous epoch (deit re-runs the partial epoch). The RNG state',
    '  and the data order do not carry over: the continued run is equivalent, not bit-identical.',
  ],
  options: { run: { type: 'string' }, output: { type: 'string' } },
  async run(args, io) {
    const runDir = stringFlag(args, 'run', true, 'export');
    const output = stringFlag(args, 'output', true, 'export');
    const checkpoint = join(runDir, RUN_FILES.last);
    if (!existsSync(checkpoint)) throw new ConfigError('--run', `${runDir} has no ${RUN_FILES.last} (is it a deit-train run directory?)`);
    const run = readRunInfo(runDir);
    if (run.kind !== 'student') throw new ConfigError('--run', `${runDir} trained a ${run.model} teacher; deit's main.py trains DeiT students`);
    const state = readCheckpointState(checkpoint);
    const config = state.config as { weightDecay?: number; noDecay?: string[] | null; emaDecay?: number | null; options?: RecordedOptions };
    await useBackend(args, io);
    const loaded = loadModel(runModelChoice(run), (m) => io.stderr.write(`deit-eval: warning: ${m}\n`));
    const student = loaded.model as DeiT;
    const variables = student.trainableVariables();
    const groups = paramGroups(variables, { weightDecay: config.weightDecay ?? 0.05, ...(config.noDecay ? { skip: config.noDecay } : {}) });
    const parts = {
      student,
      optimizer: new AdamW(variables, groups),
      ema: typeof config.emaDecay === 'number' ? new ModelEma(student.namedParams(), config.emaDecay) : undefined,
    };
    try {
      const { epoch, notes } = exportDeitCheckpoint(checkpoint, parts, output);
      const command = torchrunLine(config.options ?? {}, run.model, output);
      if (args.json) {
        io.stdout.write(`${JSON.stringify({ output, format: 'deit-checkpoint', model: run.model, epoch, resumesAtEpoch: epoch + 1, notes, torchrun: command })}\n`);
        return 0;
      }
      io.stdout.write(`wrote ${output}: deit main.py checkpoint of ${run.model} after epoch ${epoch}; main.py --resume continues with epoch ${epoch + 1} (0-based, as main.py's log and the run's metrics.jsonl count)\n`);
      for (const n of notes) io.stdout.write(`note: ${n}\n`);
      io.stdout.write(`continue with (N GPUs; the schedule travels in the checkpoint, the loop length is --epochs):\n  ${command}\n`);
      return 0;
    } finally {
      parts.optimizer.dispose();
      parts.ema?.dispose();
      student.dispose();
    }
  },
};
