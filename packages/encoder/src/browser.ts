// The browser entry of @deitjs/encoder (`dist/browser.js`, what bundlers targeting browsers import): all of the package — it
// needs no Node built-in. Node's entry (index.ts) re-exports it; Node-only exports would go there (ARCHITECTURE.md).
export type { ForwardOptions } from './options.js';
export { Linear, type LinearConfig } from './linear.js';
export { LayerNorm, type LayerNormConfig } from './layer-norm.js';
export { gelu } from './gelu.js';
export { Mlp, type MlpConfig } from './mlp.js';
export { Attention, type AttentionConfig } from './attention.js';
export { dropPath, dropPathMask } from './drop-path.js';
export { residualAdd, residualDropPath } from './residual.js';
export { Block, type BlockConfig } from './block.js';
export { TransformerEncoder, type TransformerEncoderConfig, dropPathSchedule } from './transformer-encoder.js';
export { checkGradients, type GradCheckOptions, type GradCheckResult } from './grad-check.js';
