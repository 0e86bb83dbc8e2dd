// Test fixtures of @deitjs/run's own tests (not exported from the package).
import type { RunDescription } from '../run-info.js';

/** A complete, valid run.json: a distilled DeiT trained on a seeded MNIST split, its preprocessing and teacher run recorded. */
export const SAMPLE_RUN: RunDescription = {
  format: 'deitjs-run/1',
  kind: 'student',
  model: 'deit_mini_distilled_patch8_32',
  numClasses: 10,
  imgSize: 32,
  distilled: true,
  data: { data: 'mnist', dataSet: 'mnist', seed: 3, trainPerClass: 100, testPerClass: 200, pad: 2 },
  normalization: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  preprocessing: {
    transform: { kind: 'plain', size: 32, normalization: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } },
    interpolation: 'bicubic',
    input: { colour: 'grey', size: 28, pad: 2 },
  },
  teacherRun: 'teacher',
};
