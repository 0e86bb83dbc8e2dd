import { ConfigError } from '@deitjs/core';
import { type DownloadProgress, pretrainedWeights } from '@deitjs/models';

/** Whether a weights argument names downloadable weights rather than a file: `pretrained`, `hf-hub:…` or an http(s) URL. */
export function isRemoteWeights(spec: string): boolean {
  return spec === 'pretrained' || spec.startsWith('hf-hub:') || /^https?:\/\//i.test(spec);
}

/** Options of {@link resolveWeightsArg}. */
export interface ResolveWeightsOptions {
  /** Environment of the Hugging Face variables (`HF_HOME`, `HF_ENDPOINT`, `HF_TOKEN`, `HF_HUB_OFFLINE`; default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Receives progress lines (e.g. stderr), at most one per second plus the last. */
  log?: (line: string) => void;
  /** The flag named in errors (e.g. `--teacher-weights`). */
  option?: string;
}

/**
 * A weights argument of the apps as a local file: a path stays as it is; `pretrained` (timm's weights of `name`),
 * `hf-hub:<org/name>[@revision]` or an https URL are downloaded into the cache (or found there) first.
 */
export async function resolveWeightsArg(name: string, spec: string, options: ResolveWeightsOptions = {}): Promise<string> {
  if (!isRemoteWeights(spec)) return spec;
  const log = options.log;
  const got = await pretrainedWeights(name, spec === 'pretrained' ? true : spec, {
    env: options.env,
    onProgress: log === undefined ? undefined : progressPrinter(log),
  }).catch((err: unknown) => {
    // A bad choice is the flag's fault: name it.
    if (options.option !== undefined && err instanceof ConfigError && err.option === 'pretrained') {
      throw new ConfigError(options.option, err.message.slice(err.option.length + 2));
    }
    throw err;
  });
  log?.(`${got.fromCache ? 'cached' : 'downloaded'} ${got.source} → ${got.path}`);
  return got.path;
}

const mb = (n: number): string => (n / 1e6).toFixed(1);

/**
 * A download progress callback printing `downloading <file>: 12.3 / 45.6 MB (27%)` lines through `log`, at most one
 * per `intervalMs` (default 1000) plus the final one; `now` is the clock.
 */
export function progressPrinter(log: (line: string) => void, intervalMs = 1000, now: () => number = Date.now): (p: DownloadProgress) => void {
  let last = Number.NEGATIVE_INFINITY;
  return (p) => {
    const done = p.total !== undefined && p.loaded >= p.total;
    const t = now();
    if (!done && t - last < intervalMs) return;
    last = t;
    const of = p.total === undefined ? '' : ` / ${mb(p.total)} MB (${Math.floor((100 * p.loaded) / p.total)}%)`;
    log(`downloading ${p.file}: ${mb(p.loaded)}${of === '' ? ' MB' : of}`);
  };
}
