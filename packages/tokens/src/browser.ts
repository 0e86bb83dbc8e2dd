// The browser entry of @deitjs/tokens (`dist/browser.js`, what bundlers targeting browsers import): all of the package — it
// needs no Node built-in. Node's entry (index.ts) re-exports it; Node-only exports would go there (ARCHITECTURE.md).
export { PatchEmbed, type PatchEmbedConfig, toPair } from './patch-embed.js';
export { TOKEN_INIT_STD, initTokenEmbedding, embedTokens } from './prefix-tokens.js';
export { type PosEmbedResampleMode, type ResamplePosEmbedOptions, bicubicWeights, resamplePosEmbed } from './resample-pos-embed.js';
