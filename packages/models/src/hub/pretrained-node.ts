import { type DownloadOptions, type DownloadedFile, hubDownload, urlDownload } from './download-node.js';
import { HubError } from './errors.js';
import { setPretrainedFetcher } from './fetch-weights.js';
import type { Pretrained, PretrainedSource } from './pretrained.js';
import { pretrainedSource } from './pretrained.js';
import { resolveModel } from '../registry.js';

/** Pretrained weights on disk, and where they came from. */
export interface PretrainedFile extends DownloadedFile {
  /** How to name them in messages: `hf-hub:<repo>@<revision>/<file>` or the URL. */
  source: string;
}

/**
 * Fetches (or finds in the cache) the weights a {@link PretrainedSource} names: a Hub repository's
 * `model.safetensors`, else its `pytorch_model.bin` (as timm does), or a URL's file.
 */
export async function fetchPretrained(src: PretrainedSource, options: DownloadOptions = {}): Promise<PretrainedFile> {
  if (src.kind === 'url') {
    const got = await urlDownload(src.url, options);
    return { ...got, source: src.url };
  }
  let first: unknown;
  for (const file of src.files) {
    try {
      const got = await hubDownload({ repo: src.repo, revision: src.revision, file }, options);
      return { ...got, source: `hf-hub:${src.repo}@${src.revision}/${file}` };
    } catch (err) {
      if (!(err instanceof HubError && err.notFound)) throw err;
      first ??= err;
    }
  }
  throw first;
}

/**
 * Finds pretrained weights of a registered name (DeiT or CNN) in the cache or downloads them (Node): `true` gives
 * timm's default weights (`timm/<name>.<tag>` on the Hugging Face Hub), or a timm tag, `'hf-hub:<org/name>[@revision]'`
 * or an https URL. Load the file with `createModel(name, { weights })` or `createTeacher(name, { weights })`.
 */
export async function pretrainedWeights(name: string, pretrained: Pretrained = true, options: DownloadOptions = {}): Promise<PretrainedFile> {
  const info = resolveModel(name);
  return fetchPretrained(pretrainedSource(name, info.pretrainedCfg.tag, pretrained), options);
}

// Node's createModel({ pretrained }) reads through the file cache (and .pth files) instead of fetching into memory.
setPretrainedFetcher(async (src, options) => {
  const got = await fetchPretrained(src, options);
  return { weights: got.path, source: got.source };
});
