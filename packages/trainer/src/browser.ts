// The browser entry of @deitjs/trainer (`dist/browser.js`): the pieces of a training step — AdamW with timm's
// parameter groups, LR schedules, clipping, EMA, loss and gradients, teacher outputs, evaluation, progress, and the
// Trainer without its file side (no runDir, no resume: trainer-files.ts). Checkpoints, the run directory, PyTorch
// optimizer state and data-parallel replicas need Node (files, worker threads): Node's entry (index.ts) exports them.
// A neutral export added to index.ts belongs here too.
export { type ParamGroup, type ParamGroupOptions, DEFAULT_NO_DECAY_NAMES, TIMM_0_3_2_NO_DECAY_NAMES, isNoDecay, paramGroups } from './param-groups.js';
export { type AdamWOptions, type AdamWParamState, AdamW } from './adamw.js';
export { type CosineLrOptions, type LrStepping, type LrScheduleOptions, cosineLr, scaleLr, LrSchedule } from './lr-schedule.js';
export { type ClippedGrads, clipGradNorm } from './clip-grad.js';
export { ModelEma } from './model-ema.js';
export { type TeacherCache, type TeacherOutputsOptions, teacherOutputs } from './teacher-outputs.js';
export { type TopK, type TeacherAgreement, type EvalMetrics, type EvaluateOptions, evaluate } from './evaluate.js';
export { type ProgressStream, type ProgressOptions, type ProgressStep, type ProgressEpoch, Progress, formatDuration } from './progress.js';
export { NonFiniteLossError } from './non-finite-loss-error.js';
export type { Student } from './student.js';
export { type GradientModel, type GradientResult, lossAndGradients } from './loss-gradients.js';
export { type GradientEngine, tfjsEngine } from './gradient-engine.js';
export type { StepInfo, EpochRecord, TrainerHooks } from './trainer-hooks.js';
export type { TrainerOptions } from './trainer-options.js';
export { type RunResult, Trainer } from './trainer-class.js';
