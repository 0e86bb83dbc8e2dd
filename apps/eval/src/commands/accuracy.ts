import { ConfigError } from '@deitjs/core';
import { evalData } from '@deitjs/recipes';
import { type TopK, evaluate } from '@deitjs/trainer';
import type { Command } from '../command.js';
import { ENGINE_HELP, loadEngineModel } from '../engine.js';
import { choiceFlag, intFlag, noPositionals, stringFlag } from '../flags.js';
import { modelChoiceFromArgs } from '../model-args.js';
import { formatTable } from '../table.js';

/** The `accuracy --json` document; accuracies in percent. */
export interface AccuracyReport {
  model: string;
  /** Where the model ran. */
  engine: 'tfjs' | 'onnx';
  weights: string;
  /** The run directory, with `--run`. */
  run: string | null;
  /** The evaluated data (e.g. `mnist test (seed 0, 200 per class)`). */
  data: string;
  split: 'train' | 'test';
  count: number;
  /** Mean cross-entropy of the eval output. */
  loss: number;
  /** The eval output (the mean of both heads for a distilled model). */
  output: TopK;
  /** The class-token head alone (distilled models). */
  cls?: TopK;
  /** The distillation-token head alone (distilled models). */
  dist?: TopK;
}

const pct = (x: number): string => x.toFixed(2);

/** `deit-eval accuracy`: top-1/top-5 of a model (per head for a distilled DeiT) on a data split. */
export const accuracy: Command = {
  name: 'accuracy',
  summary: 'Top-1/top-5 accuracy of a run or checkpoint (per head for distilled models) on MNIST, ImageFolder or CIFAR',
  usage: [
    'Usage: deit-eval accuracy (--run DIR | --model NAME --weights FILE) [--data mnist|PATH] [--split test|train]',
    '                          [--batch-size N] [--img-size S] [--num-classes N] [--seed N] [--engine tfjs|onnx]',
    '                          [--backend ...] [--json]',
    '',
    "Evaluates in eval mode, without augmentation: top-1 and top-5 of the model's output and, for a distilled",
    'DeiT, of the cls head and the dist head alone (the output is their mean). With --run DIR (a deit-train run',
    "directory) the model is DIR/model.safetensors and the data default to the run's: for MNIST the same seeded",
    "split, so the test set is the one the run was evaluated on, with the run's recorded eval preprocessing.",
    '--data PATH is an ImageFolder root (its val/ or test/ folder for --split test, train/ for train, or the class',
    "folders themselves) evaluated with deit's resize + centre crop, or a CIFAR-10/100 binary folder. NAME may be",
    'a DeiT or a CNN teacher (resnet_mnist, resnet50, ...). --seed sets the MNIST split without a run (default 0).',
    '--batch-size defaults to 64.',
    '',
    ...ENGINE_HELP,
  ].join('\n'),
  options: {
    run: { type: 'string' },
    model: { type: 'string' },
    weights: { type: 'string' },
    data: { type: 'string' },
    split: { type: 'string' },
    'batch-size': { type: 'string' },
    'img-size': { type: 'string' },
    'num-classes': { type: 'string' },
    seed: { type: 'string' },
    engine: { type: 'string' },
  },
  async run(args, io) {
    noPositionals(args, 'accuracy');
    const choice = modelChoiceFromArgs(args, 'accuracy');
    const data = stringFlag(args, 'data') ?? choice.run?.data.data;
    if (data === undefined) throw new ConfigError('--data', 'is required with --model (mnist or a data folder)');
    const split = choiceFlag(args, 'split', ['test', 'train'] as const) ?? 'test';
    const seedFlag = stringFlag(args, 'seed');
    if (seedFlag !== undefined && !/^\d+$/.test(seedFlag)) throw new ConfigError('--seed', `must be a non-negative integer, got "${seedFlag}"`);
    const batchSize = intFlag(args, 'batch-size') ?? 64;
    const ed = evalData({
      data,
      split,
      imgSize: choice.imgSize,
      normalization: choice.normalization,
      batchSize,
      // A one-channel model (an MNIST run) takes grey images of one channel on any data.
      channels: choice.inChans === 1 ? 1 : 3,
      ...(choice.run ? { run: choice.run.data, preprocessing: choice.preprocessing } : {}),
      ...(seedFlag !== undefined ? { seed: Number(seedFlag) } : {}),
    });
    const loaded = await loadEngineModel(choice, args, io);
    let report: AccuracyReport;
    try {
      if (ed.numClasses > loaded.model.numClasses) {
        throw new ConfigError('--data', `${ed.description} has ${ed.numClasses} classes, the model only ${loaded.model.numClasses}`);
      }
      const m = await evaluate(loaded.model, ed.loader);
      report = {
        model: choice.name,
        weights: choice.weights,
        engine: loaded.engine,
        run: choice.run?.dir ?? null,
        data: ed.description,
        split,
        count: m.count,
        loss: m.loss,
        output: { top1: m.top1, top5: m.top5 },
        ...(m.cls ? { cls: m.cls } : {}),
        ...(m.dist ? { dist: m.dist } : {}),
      };
    } finally {
      await loaded.dispose();
    }
    if (args.json) {
      io.stdout.write(`${JSON.stringify(report)}\n`);
      return 0;
    }
    const rows: string[][] = [[report.cls ? 'mean (eval output)' : 'output', pct(report.output.top1), pct(report.output.top5)]];
    if (report.cls) rows.push(['cls head', pct(report.cls.top1), pct(report.cls.top5)]);
    if (report.dist) rows.push(['dist head', pct(report.dist.top1), pct(report.dist.top5)]);
    io.stdout.write(`${report.model} (${report.weights}${report.engine === 'onnx' ? ', ONNX Runtime' : ''}) on ${report.data}: ${report.count} images, loss ${report.loss.toFixed(4)}\n\n`);
    io.stdout.write(formatTable(['head', 'top-1 %', 'top-5 %'], rows, [false, true, true]));
    return 0;
  },
};
