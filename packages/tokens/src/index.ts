export { PatchEmbed, type PatchEmbedConfig, toPair } from './patch-embed.js';
export { TOKEN_INIT_STD, initTokenEmbedding, embedTokens } from './prefix-tokens.js';
export { type PosEmbedResampleMode, type ResamplePosEmbedOptions, bicubicWeights, resamplePosEmbed } from './resample-pos-embed.js';
