import { readFileSync } from 'node:fs';
import type { Matrix } from './fp64.js';

/** One case of loss_fixture.json. */
export interface LossCase {
  base_criterion: 'CrossEntropy' | 'LabelSmoothingCrossEntropy(0.1)' | 'SoftTargetCrossEntropy';
  targets: 'labels' | 'soft_targets';
  distillation_type: 'none' | 'soft' | 'hard';
  alpha: number;
  tau: number;
  loss: number;
  loss_float64: number;
}

/** The contents of loss_fixture.json that the tests use. */
export interface LossFixture {
  inputs: {
    cls_logits: Matrix;
    dist_logits: Matrix;
    teacher_logits: Matrix;
    labels: number[];
    soft_targets: Matrix;
  };
  cases: LossCase[];
}

/** Reads the PyTorch loss fixture from the repo's fixtures directory. */
export function loadLossFixture(): LossFixture {
  return JSON.parse(readFileSync(new URL('../../../../fixtures/loss_fixture.json', import.meta.url), 'utf8')) as LossFixture;
}
