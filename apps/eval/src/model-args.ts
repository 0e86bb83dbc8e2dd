import { ConfigError } from '@deitjs/core';
import { type ModelChoice, namedModelChoice, runModelChoice } from '@deitjs/recipes';
import { readRunInfo } from '@deitjs/run';
import type { CommandArgs } from './command.js';
import { intFlag, stringFlag } from './flags.js';

/**
 * The model of `--run DIR` (with the run's preprocessing), or of `--model NAME --weights FILE` (any name of the
 * @deitjs/models registry, DeiT or CNN), with `--num-classes`, `--img-size` and an eval crop (`cropPct`, from
 * `--crop-pct`) applied. Nothing is loaded yet.
 */
export function modelChoiceFromArgs(args: CommandArgs, command: string, cropPct?: number): ModelChoice {
  const runDir = stringFlag(args, 'run');
  const name = stringFlag(args, 'model');
  const weights = stringFlag(args, 'weights');
  const numClasses = intFlag(args, 'num-classes');
  const imgSize = intFlag(args, 'img-size');
  if (runDir !== undefined) {
    if (name !== undefined || weights !== undefined) throw new ConfigError('--run', 'give either --run DIR or --model NAME --weights FILE, not both');
    const choice = runModelChoice(readRunInfo(runDir), imgSize);
    if (numClasses !== undefined && numClasses !== choice.numClasses) {
      throw new ConfigError('--num-classes', `the run's model has ${choice.numClasses} classes, not ${numClasses}`);
    }
    if (cropPct === undefined) return choice;
    const t = choice.preprocessing.transform;
    if (t.kind !== 'eval') throw new ConfigError('--crop-pct', `the run's images are resized, not cropped (${choice.run!.data.dataSet}): drop --crop-pct`);
    return { ...choice, preprocessing: { ...choice.preprocessing, transform: { ...t, cropPct } } };
  }
  if (name === undefined) throw new ConfigError('--run', `or --model NAME --weights FILE is required (see deit-eval ${command} --help)`);
  if (weights === undefined) throw new ConfigError('--weights', `is required with --model (see deit-eval ${command} --help)`);
  return namedModelChoice(name, weights, '--model', numClasses, imgSize, cropPct);
}
