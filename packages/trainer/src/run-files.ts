/** File names inside a run directory. */
export const RUN_FILES = {
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
} as const;
