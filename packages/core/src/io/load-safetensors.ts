// Weights from wherever a browser (or Node) has them: bytes, a Blob/File, or a URL. Only safetensors: it needs no
// unpickling, is what the Hugging Face Hub serves for timm models, and parses with the file reader's checks.
import { CheckpointError } from '../errors.js';
import type { StateDict } from '../tensor-data.js';
import { type ParseSafetensorsOptions, parseSafetensors } from './safetensors-bytes.js';

/** Where {@link loadSafetensors} reads safetensors from: bytes, a Blob (or File), a URL, or a URL/path string. */
export type SafetensorsSource = ArrayBuffer | ArrayBufferView | Blob | URL | string;

/** Options of {@link loadSafetensors}. */
export interface LoadSafetensorsOptions extends Omit<ParseSafetensorsOptions, 'source'> {
  /** Refuse a source larger than this many bytes (default 2 GiB, the most a browser's ArrayBuffer reliably holds). */
  maxBytes?: number;
  /** Called as bytes arrive from a URL: bytes so far and the total when the server states it. */
  onProgress?: (loaded: number, total: number | undefined) => void;
  /** Aborts a fetch. */
  signal?: AbortSignal;
  /** The fetch to use (default `globalThis.fetch`), e.g. one that adds headers. */
  fetch?: (url: string, init: { signal?: AbortSignal }) => Promise<Response>;
}

const DEFAULT_MAX_BYTES = 2 ** 31;

/**
 * Reads safetensors weights into a StateDict from an `ArrayBuffer`/typed array, a `Blob`/`File`, or a URL
 * (`http(s):`, `blob:`, `data:`, and in Node `file:`; a string is resolved against the page's address in a browser
 * and read as a file path in Node when it is not a URL). Every failure is a CheckpointError naming the source.
 */
export async function loadSafetensors(source: SafetensorsSource, options: LoadSafetensorsOptions = {}): Promise<StateDict> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const { bytes, name } = await fetchBytes(source, options, maxBytes);
  return parseSafetensors(bytes, { source: name, names: options.names });
}

async function fetchBytes(source: SafetensorsSource, options: LoadSafetensorsOptions, maxBytes: number): Promise<{ bytes: Uint8Array | ArrayBuffer; name: string }> {
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    return { bytes: source instanceof ArrayBuffer ? source : new Uint8Array(source.buffer, source.byteOffset, source.byteLength), name: 'safetensors bytes' };
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    const name = (source as Blob & { name?: string }).name ?? 'safetensors blob';
    checkSize(name, source.size, maxBytes);
    return { bytes: await source.arrayBuffer(), name };
  }
  const url = toUrl(source as URL | string);
  if (url === undefined) return { bytes: await readLocal(String(source), maxBytes), name: String(source) };
  if (url.protocol === 'file:') return { bytes: await readLocal(url, maxBytes), name: url.href };
  return { bytes: await download(url.href, options, maxBytes), name: url.href };
}

/** The URL a source names, or undefined for a string that is a local path (Node). */
function toUrl(source: URL | string): URL | undefined {
  if (source instanceof URL) return source;
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  try {
    const url = new URL(source, base);
    // `C:\weights.safetensors` parses as a URL with the scheme `c:`; a drive letter is a path.
    return base === undefined && /^[a-z]:$/i.test(url.protocol) ? undefined : url;
  } catch {
    return undefined;
  }
}

function checkSize(name: string, size: number, maxBytes: number): void {
  if (size > maxBytes) throw new CheckpointError(name, `is ${size} bytes, more than the ${maxBytes}-byte limit (maxBytes)`);
}

async function readLocal(path: string | URL, maxBytes: number): Promise<Uint8Array> {
  const name = String(path);
  // A variable specifier: bundlers leave it alone, and a browser never gets here (its strings are URLs).
  const fsName = 'node:fs/promises';
  let fs: { stat(p: string | URL): Promise<{ size: number; isFile(): boolean }>; readFile(p: string | URL): Promise<Uint8Array> };
  try {
    fs = (await import(fsName)) as typeof fs;
  } catch {
    throw new CheckpointError(name, 'is a local path, which only Node can read (give a URL, Blob or ArrayBuffer)');
  }
  try {
    const stat = await fs.stat(path);
    if (!stat.isFile()) throw new CheckpointError(name, 'is not a regular file');
    checkSize(name, stat.size, maxBytes);
    return await fs.readFile(path);
  } catch (err) {
    if (err instanceof CheckpointError) throw err;
    throw new CheckpointError(name, `cannot be read: ${(err as Error).message}`, undefined, { cause: err });
  }
}

async function download(href: string, options: LoadSafetensorsOptions, maxBytes: number): Promise<Uint8Array> {
  const doFetch = options.fetch ?? globalThis.fetch;
  let res: Response;
  try {
    res = await doFetch(href, { signal: options.signal });
  } catch (err) {
    throw new CheckpointError(href, `cannot be fetched: ${(err as Error).message}`, undefined, { cause: err });
  }
  if (!res.ok) throw new CheckpointError(href, `HTTP ${res.status} ${res.statusText}`.trim());
  const header = res.headers.get('content-length');
  // A compressed body's length is not the length of the bytes read; only an identity body can be checked.
  const stated = header !== null && !res.headers.get('content-encoding') ? Number(header) : undefined;
  if (stated !== undefined) checkSize(href, stated, maxBytes);
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  if (res.body === null) throw new CheckpointError(href, 'the response has no body');
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      loaded += value.byteLength;
      if (loaded > maxBytes) throw new CheckpointError(href, `sends more than the ${maxBytes}-byte limit (maxBytes)`);
      chunks.push(value);
      options.onProgress?.(loaded, stated);
    }
  } catch (err) {
    await reader.cancel().catch(() => undefined);
    if (err instanceof CheckpointError) throw err;
    throw new CheckpointError(href, `transfer failed after ${loaded} bytes: ${(err as Error).message}`, undefined, { cause: err });
  }
  if (stated !== undefined && loaded !== stated) throw new CheckpointError(href, `truncated: ${loaded} of ${stated} bytes received`);
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return bytes;
}
