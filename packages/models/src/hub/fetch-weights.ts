import { ConfigError, type StateDict, loadSafetensors } from '@deitjs/core';
import { hubFileUrl } from './names.js';
import type { PretrainedSource } from './pretrained.js';
import type { DownloadProgress } from './transfer.js';

/** How `createModel({ pretrained })` downloads: the fields every environment understands (Node's add a cache, see `DownloadOptions`). */
export interface FetchOptions {
  /** Hub endpoint (default `https://huggingface.co`; in Node `HF_ENDPOINT`). */
  endpoint?: string;
  /** The largest file accepted, in bytes. */
  maxBytes?: number;
  /** Called as bytes arrive. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Cancels the download. */
  signal?: AbortSignal;
}

/** Weights ready for `createModel`: a file path (Node's cache) or a state dict (fetched into memory). */
export interface FetchedWeights {
  weights: string | StateDict;
  /** How to name them in messages. */
  source: string;
}

type Fetcher = (src: PretrainedSource, options: FetchOptions) => Promise<FetchedWeights>;

let fetcher: Fetcher | undefined;

/** Installs the environment's way of fetching pretrained weights (Node's entry installs its file cache). */
export function setPretrainedFetcher(f: Fetcher): void {
  fetcher = f;
}

/**
 * Fetches pretrained weights: through the installed fetcher (Node: the Hugging Face file cache), else into memory
 * with core's `loadSafetensors` (browsers: safetensors only, the browser's HTTP cache as the cache).
 */
export async function fetchPretrainedWeights(src: PretrainedSource, options: FetchOptions = {}): Promise<FetchedWeights> {
  if (fetcher !== undefined) return fetcher(src, options);
  const endpoint = (options.endpoint ?? 'https://huggingface.co').replace(/\/+$/, '');
  const url = src.kind === 'url' ? src.url : hubFileUrl(endpoint, src.repo, src.revision, 'model.safetensors');
  if (src.kind === 'url' && !/\.safetensors$/i.test(new URL(url).pathname)) {
    throw new ConfigError('pretrained', `${url}: only .safetensors files can be loaded outside Node`);
  }
  const file = url.split('/').pop() ?? url;
  const onProgress = options.onProgress;
  const weights = await loadSafetensors(new URL(url), {
    maxBytes: options.maxBytes,
    signal: options.signal,
    onProgress: onProgress === undefined ? undefined : (loaded, total) => onProgress({ url, file, loaded, total }),
  });
  return { weights, source: src.kind === 'url' ? url : `hf-hub:${src.repo}@${src.revision}/model.safetensors` };
}
