import { DownloadError } from './errors.js';

/** How far a download has come (for a progress line). */
export interface DownloadProgress {
  /** The URL asked for (before redirects). */
  url: string;
  /** What is being fetched, for display (`org/name model.safetensors`, or the URL's file name). */
  file: string;
  /** Bytes received so far. */
  loaded: number;
  /** Bytes expected, when the server said. */
  total: number | undefined;
}

/** What a transfer may do and where it reports. */
export interface TransferOptions {
  /** The largest response body accepted, in bytes. */
  maxBytes: number;
  /** Origin trusted as the endpoint: plain http allowed there, and the only origin the token is sent to. */
  trustedOrigin: string | undefined;
  /** Bearer token for the trusted origin (`HF_TOKEN`). */
  token: string | undefined;
  /** Called as bytes arrive. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Cancels the transfer. */
  signal?: AbortSignal;
  /** The fetch to use (default the global one). */
  fetch?: typeof fetch;
}

const MAX_REDIRECTS = 10;

/** Whether a URL may be fetched: https anywhere, plain http only on the trusted (configured endpoint's) origin. */
export function allowedUrl(url: URL, trustedOrigin: string | undefined): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && url.origin === trustedOrigin);
}

/**
 * Requests `url`, following redirects one by one so that each target is checked (https, or the trusted origin) and
 * the token never leaves the trusted origin. With `relativeOnly`, only relative redirects are followed and an absolute
 * one is returned as is (as huggingface_hub's HEAD does: the Hub gives the file's metadata on the redirect to its CDN).
 */
export async function request(url: string, method: 'GET' | 'HEAD', o: TransferOptions, relativeOnly = false): Promise<{ response: Response; url: string }> {
  const doFetch = o.fetch ?? globalThis.fetch;
  let current = new URL(url);
  if (!allowedUrl(current, o.trustedOrigin)) throw new DownloadError(url, `refused: only https URLs (or the endpoint ${o.trustedOrigin ?? 'none'}) are fetched`);
  for (let hop = 0; ; hop++) {
    const headers: Record<string, string> = { 'accept-encoding': 'identity', 'user-agent': 'deitjs' };
    if (o.token !== undefined && current.origin === o.trustedOrigin) headers.authorization = `Bearer ${o.token}`;
    let response: Response | undefined;
    // One retry: a kept-alive connection the server closed meanwhile fails the first attempt (ECONNRESET).
    for (let attempt = 0; response === undefined; attempt++) {
      try {
        response = await doFetch(current.href, { method, headers, redirect: 'manual', signal: o.signal });
      } catch (err) {
        if (attempt === 0 && o.signal?.aborted !== true) continue;
        const why = err instanceof Error ? `${err.message}${err.cause instanceof Error ? ` (${err.cause.message})` : ''}` : String(err);
        throw new DownloadError(url, `request failed${current.href === url ? '' : ` (at ${current.href})`}: ${why}`, { cause: err });
      }
    }
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || location === null) return { response, url: current.href };
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw new DownloadError(url, `redirect to an invalid URL ${JSON.stringify(location.slice(0, 200))}`);
    }
    if (relativeOnly && /^(?:[A-Za-z][A-Za-z0-9+.-]*:|\/\/)/.test(location.trim())) return { response, url: current.href };
    await response.body?.cancel();
    if (!allowedUrl(next, o.trustedOrigin)) {
      throw new DownloadError(url, `redirect to ${next.protocol}//${next.host} refused (only https, or the endpoint ${o.trustedOrigin ?? 'none'})`);
    }
    if (hop >= MAX_REDIRECTS) throw new DownloadError(url, `more than ${MAX_REDIRECTS} redirects`);
    current = next;
  }
}

/** A `Content-Length`-like header as a byte count (undefined when absent; a DownloadError when not a count). */
export function byteCount(url: string, name: string, value: string | null): number | undefined {
  if (value === null) return undefined;
  if (!/^\d{1,16}$/.test(value.trim())) throw new DownloadError(url, `invalid ${name} header ${JSON.stringify(value.slice(0, 40))}`);
  return Number(value.trim());
}

/**
 * Streams a 200 response's body into `write`, checking its size all along: never more than `maxBytes` or than the
 * announced `Content-Length`/`expected` size, and exactly that size at the end (a cut connection is an error, not
 * a short file). Returns the byte count.
 */
export async function readBody(
  response: Response,
  url: string,
  label: string,
  expected: number | undefined,
  o: TransferOptions,
  write: (chunk: Uint8Array) => void | Promise<void>,
): Promise<number> {
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new DownloadError(url, `HTTP ${response.status} ${response.statusText}`.trimEnd());
  }
  const announced = byteCount(url, 'Content-Length', response.headers.get('content-length'));
  if (announced !== undefined && expected !== undefined && announced !== expected) {
    await response.body?.cancel();
    throw new DownloadError(url, `size mismatch: the response announces ${announced} bytes, the file's metadata ${expected}`);
  }
  const total = announced ?? expected;
  if (total !== undefined && total > o.maxBytes) {
    await response.body?.cancel();
    throw new DownloadError(url, `${total} bytes exceed the limit of ${o.maxBytes} (maxBytes)`);
  }
  const limit = Math.min(total ?? Number.POSITIVE_INFINITY, o.maxBytes);
  if (response.body === null) throw new DownloadError(url, 'response has no body');
  const reader = response.body.getReader();
  let loaded = 0;
  try {
    for (;;) {
      let step: Awaited<ReturnType<typeof reader.read>>;
      try {
        step = await reader.read();
      } catch (err) {
        throw new DownloadError(url, `transfer failed after ${loaded}${total === undefined ? '' : ` of ${total}`} bytes: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      if (step.done) break;
      loaded += step.value.byteLength;
      if (loaded > limit) {
        throw new DownloadError(url, total !== undefined && loaded > total ? `more bytes than the ${total} announced` : `more than ${o.maxBytes} bytes (maxBytes)`);
      }
      await write(step.value);
      o.onProgress?.({ url, file: label, loaded, total });
    }
  } catch (err) {
    await reader.cancel().catch(() => undefined);
    throw err;
  }
  if (total !== undefined && loaded !== total) throw new DownloadError(url, `truncated: received ${loaded} of ${total} bytes`);
  return loaded;
}
