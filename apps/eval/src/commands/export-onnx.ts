import { statSync } from 'node:fs';
import { exportChoice } from '@deitjs/recipes';
import { useBackend } from '../command.js';
import { intFlag, stringFlag } from '../flags.js';
import { modelChoiceFromArgs } from '../model-args.js';
import { cropPctFlag, readLabels } from './predict.js';
import type { ExportFormat } from './export.js';

/** `deit-eval export --format onnx (--run DIR | --model NAME --weights FILE) --output DIR|FILE.onnx`. */
export const onnxFormat: ExportFormat = {
  usage: [
    '  --run DIR | --model NAME --weights FILE   the model (a run directory, or a registered DeiT or CNN and its checkpoint)',
    '  --output DIR      a transformers.js folder (DeiT): config.json (id2label from the run\'s classes or --labels),',
    '                    preprocessor_config.json (the run\'s eval resize/crop/mean/std, or the registry\'s with crop',
    '                    --crop-pct, default 0.875) and onnx/model.onnx',
    '  --output F.onnx   a bare ONNX file (any DeiT or CNN): input pixel_values NCHW, output logits (+ logits_cls,',
    '                    logits_dist for distilled models), opset 17, dynamic batch',
    '  [--labels FILE] [--crop-pct P] [--num-classes N] [--img-size S]',
  ],
  options: { model: { type: 'string' }, weights: { type: 'string' }, labels: { type: 'string' }, 'crop-pct': { type: 'string' }, 'num-classes': { type: 'string' }, 'img-size': { type: 'string' } },
  async run(args, io) {
    const output = stringFlag(args, 'output', true, 'export');
    intFlag(args, 'img-size');
    const choice = modelChoiceFromArgs(args, 'export', cropPctFlag(args));
    const labelsFile = stringFlag(args, 'labels');
    const labels = labelsFile === undefined ? undefined : readLabels(labelsFile);
    await useBackend(args, io);
    const t0 = performance.now();
    const progress = (m: string) => io.stderr.write(`deit-eval: ${m} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
    const r = exportChoice(choice, output, { ...(labels ? { labels } : {}), warn: (m) => io.stderr.write(`deit-eval: warning: ${m}\n`), progress });
    const bytes = statSync(r.onnxFile).size;
    if (args.json) {
      io.stdout.write(`${JSON.stringify({ output, format: 'onnx', layout: r.layout, model: choice.name, onnx: r.onnxFile, bytes, numClasses: r.numClasses, labelSource: r.labelSource ?? null, preprocessing: r.preprocessing ?? null })}\n`);
      return 0;
    }
    const what = r.layout === 'onnx' ? 'ONNX file' : `transformers.js folder (labels: ${r.labelSource}; crop ${r.preprocessing!.cropPct})`;
    io.stdout.write(`wrote ${output}: ${what} of ${choice.name}, ${r.numClasses} classes, ${(bytes / 1e6).toFixed(1)} MB of ONNX in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    return 0;
  },
};
