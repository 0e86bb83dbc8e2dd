import { ConfigError, type Module } from '@deitjs/core';
import { DeiT, loadWeights } from '@deitjs/models';
import { isRemoteWeights, resolveWeightsArg } from '@deitjs/recipes';
import { type ConvNet, loadConvNetWeights } from '@deitjs/teachers';
import type { Student } from '@deitjs/trainer';
import type { TrainIO } from './io.js';
import type { TrainOptions } from './options.js';

const logTo = (io: TrainIO) => (line: string) => io.stderr.write(`deit-train: ${line}\n`);

/**
 * The options with a downloadable `--teacher-weights` (`pretrained`: timm's weights of --teacher, `hf-hub:…`, an
 * https URL) replaced by the cached file, downloaded first if needed (progress on stderr).
 */
export async function withLocalWeights(options: TrainOptions, io: TrainIO): Promise<TrainOptions> {
  const t = options.teacherWeights;
  if (t === '' || !isRemoteWeights(t) || options.distillationType === 'none' || options.teacherRun !== '') return options;
  const file = await resolveWeightsArg(options.teacher, t, { env: io.env, log: logTo(io), option: '--teacher-weights' });
  return { ...options, teacherWeights: file };
}

/**
 * `--pretrained`: loads timm's pretrained weights of `--model` into the new model (timm's fine-tuning start: the
 * position embedding resampled to `--input-size`, heads of another class count re-initialised, with a notice).
 */
export async function loadPretrained(model: Student & Module, options: TrainOptions, io: TrainIO): Promise<void> {
  if (!options.pretrained) return;
  if (options.resume !== '') throw new ConfigError('--pretrained', 'cannot be combined with --resume (the checkpoint holds the weights)');
  const log = logTo(io);
  const file = await resolveWeightsArg(options.model, 'pretrained', { env: io.env, log, option: '--pretrained' });
  const warn = (m: string) => log(m);
  if (model instanceof DeiT) loadWeights(model, file, { warn });
  else loadConvNetWeights(model as unknown as ConvNet, file, { warn });
}
