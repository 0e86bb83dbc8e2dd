/**
 * The file names of a run directory: the one place they are defined. The trainer writes the weights, checkpoints
 * and metrics; the apps write run.json, the token analysis and the HTML report.
 */
export const RUN_FILES = {
  /** The run description (`RunDescription`), validated by `readRunInfo`. */
  info: 'run.json',
  /** Final (latest) weights, PyTorch layout, timm-compatible. */
  model: 'model.safetensors',
  /** EMA weights, when EMA is on. */
  modelEma: 'model-ema.safetensors',
  /** Everything needed to resume, updated at each epoch end and on stop. */
  last: 'checkpoint-last.safetensors',
  /** The checkpoint of the best evaluation so far. */
  best: 'checkpoint-best.safetensors',
  /** One JSON line per epoch. */
  metrics: 'metrics.jsonl',
  /** The distillation-token analysis (`AnalysisReport`). */
  analysis: 'analysis.json',
  /** The self-contained HTML report. */
  report: 'report.html',
} as const;

