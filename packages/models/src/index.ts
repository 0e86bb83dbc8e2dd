// The Node entry of @deitjs/models: everything of the browser entry (one list, in browser.ts) plus the Hub file cache
// and downloads (the `*-node.ts` files).
export * from './browser.js';
// Node only (file cache): importing this module also makes createModel({ pretrained }) use the cache.
export { type PretrainedFile, fetchPretrained, pretrainedWeights } from './hub/pretrained-node.js';
export { type DownloadOptions, type DownloadedFile, DEFAULT_MAX_DOWNLOAD_BYTES, hubDownload, urlDownload } from './hub/download-node.js';
export { type HubEnvOptions, type HubSettings, hubSettings } from './hub/cache-node.js';
