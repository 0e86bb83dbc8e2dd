// Test helpers of the trainer: tiny models, batch sources and losses (not exported from the package).
export { ParamBag, TinyMlp, type TinyMlpOptions, snapshot, teacherOf } from './models.js';
export { ArraySource, SyntheticSource, type SyntheticOptions } from './sources.js';
export { type LossParts, crossEntropy, testLoss, testLossWithParts } from './losses.js';
export { base, data, removeTempDirs, resumable, student, tempDir } from './runs.js';
