import { createHash } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DownloadError, type HubFileRef, HubError } from './errors.js';
import { type HubEnvOptions, type HubSettings, cachedSnapshot, fileSize, hubSettings, inside, linkSnapshot, repoFolder, tempDownloadPath, writeRef } from './cache-node.js';
import { COMMIT_HASH, checkFileName, checkRepoId, checkRevision, hubFileUrl } from './names.js';
import { type DownloadProgress, type TransferOptions, byteCount, readBody, request } from './transfer.js';

/** Default bound of one download: 2 GiB (the largest registered checkpoint, regnety_320, is ~0.6 GB). */
export const DEFAULT_MAX_DOWNLOAD_BYTES = 2 * 1024 ** 3;

/** Options of {@link hubDownload} and {@link urlDownload}: where (see {@link HubEnvOptions}) and how. */
export interface DownloadOptions extends HubEnvOptions {
  /** The largest file accepted, in bytes (default {@link DEFAULT_MAX_DOWNLOAD_BYTES}). */
  maxBytes?: number;
  /** Called as bytes arrive. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Cancels the download (the partial file is removed). */
  signal?: AbortSignal;
  /** The fetch to use (default the global one). */
  fetch?: typeof fetch;
  /** URL downloads: check a `name-<hex>.ext` file name's hash against the content's sha256 (default: on download.pytorch.org). */
  checkHash?: boolean;
}

/** A file on disk, downloaded or found in the cache. */
export interface DownloadedFile {
  /** Its path in the cache. */
  path: string;
  /** The URL it comes from. */
  url: string;
  /** Whether it was already cached (no body transferred). */
  fromCache: boolean;
  /** The Hub commit the file belongs to (Hub downloads whose commit is known). */
  commit?: string;
}

function transferOptions(s: HubSettings, o: DownloadOptions): TransferOptions {
  const maxBytes = o.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new DownloadError(s.endpoint, `maxBytes must be a positive integer, got ${maxBytes}`);
  return { maxBytes, trustedOrigin: new URL(s.endpoint).origin, token: s.token, onProgress: o.onProgress, signal: o.signal, fetch: o.fetch };
}

// An ETag is `"<hex>"` or `W/"<hex>"`; the Hub's are a git blob sha1 (regular files) or the sha256 (LFS files).
function etagOf(headers: Headers): string | undefined {
  const raw = headers.get('x-linked-etag') ?? headers.get('etag');
  const v = raw?.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1').toLowerCase();
  return v !== undefined && /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(v) ? v : undefined;
}

/** A server-given message bounded and printable (hostile servers write into our errors). */
const serverText = (h: Headers, name: string): string => (h.get(name) ?? '').replace(/[^\x20-\x7e]/g, '?').slice(0, 200);

/**
 * Streams a GET of `url` into a temp file in `dir`, hashing it; the temp file is removed on any failure. Returns
 * the temp path and the digests (sha256 and the git blob sha1 when `gitSize` is known).
 */
async function fetchToTemp(url: string, dir: string, label: string, expected: number | undefined, t: TransferOptions): Promise<{ tmp: string; sha256: string; gitSha1: string | undefined }> {
  const tmp = tempDownloadPath(dir);
  const sha256 = createHash('sha256');
  const sha1 = expected === undefined ? undefined : createHash('sha1').update(`blob ${expected}\0`);
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(tmp, 'wx');
    const out = fh;
    const { response } = await request(url, 'GET', t);
    await readBody(response, url, label, expected, t, async (chunk) => {
      sha256.update(chunk);
      sha1?.update(chunk);
      await out.write(chunk);
    });
    await out.sync();
    await out.close();
    fh = undefined;
    return { tmp, sha256: sha256.digest('hex'), gitSha1: sha1?.digest('hex') };
  } catch (err) {
    await fh?.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Downloads one file of a Hugging Face Hub repository into the huggingface_hub cache (`models--org--name/{blobs,
 * snapshots/<commit>,refs}`), or finds it there: offline (`HF_HUB_OFFLINE`), or when the Hub cannot be reached.
 * Names are validated, the size is bounded and checked against the headers, the content against the Hub's ETag
 * (sha256 of LFS files, git sha1 of others); a partial or refused transfer leaves no cache entry.
 */
export async function hubDownload(ref: { repo: string; revision?: string; file: string }, o: DownloadOptions = {}): Promise<DownloadedFile> {
  const id: HubFileRef = { repo: checkRepoId(ref.repo), revision: checkRevision(ref.revision ?? 'main'), file: checkFileName(ref.file) };
  const s = hubSettings(o);
  const t = transferOptions(s, o);
  const url = hubFileUrl(s.endpoint, id.repo, id.revision, id.file);
  const repoDir = repoFolder(s.cacheDir, id.repo);
  const cached = (): DownloadedFile | undefined => {
    const path = cachedSnapshot(repoDir, id.revision, id.file);
    return path === undefined ? undefined : { path, url, fromCache: true };
  };
  if (s.offline) {
    const hit = cached();
    if (hit !== undefined) return hit;
    throw new HubError(id, url, `not in the cache ${repoDir} and offline (HF_HUB_OFFLINE) — download it once online`, { notFound: true });
  }
  let head: Response;
  try {
    head = (await request(url, 'HEAD', t, true)).response;
  } catch (err) {
    // No connection: the cached file (huggingface_hub's fallback), else say both.
    const hit = cached();
    if (hit !== undefined) return hit;
    throw new HubError(id, url, `cannot reach the Hub and not in the cache ${repoDir} (${err instanceof Error ? err.message : String(err)})`, { cause: err, notFound: true });
  }
  await head.body?.cancel();
  if (head.status === 401 || head.status === 403) {
    throw new HubError(id, url, `HTTP ${head.status}: gated or private repository (set HF_TOKEN to a token with access) ${serverText(head.headers, 'x-error-message')}`.trimEnd());
  }
  if (head.status === 404) {
    const code = serverText(head.headers, 'x-error-code');
    const what = code === 'RepoNotFound' ? 'repository not found' : code === 'RevisionNotFound' ? 'revision not found' : code === 'EntryNotFound' ? 'file not found' : 'not found';
    throw new HubError(id, url, `HTTP 404: ${what}`, { notFound: code !== 'RepoNotFound' && code !== 'RevisionNotFound' });
  }
  if (head.status >= 400 || head.status < 200) throw new HubError(id, url, `HTTP ${head.status} ${serverText(head.headers, 'x-error-message')}`.trimEnd());
  const commit = head.headers.get('x-repo-commit')?.trim().toLowerCase() ?? (COMMIT_HASH.test(id.revision) ? id.revision : undefined);
  if (commit === undefined || !COMMIT_HASH.test(commit)) throw new HubError(id, url, 'the server gave no valid X-Repo-Commit (not a Hugging Face Hub endpoint?)');
  const etag = etagOf(head.headers);
  const size = byteCount(url, 'X-Linked-Size', head.headers.get('x-linked-size')) ?? (head.status === 200 ? byteCount(url, 'Content-Length', head.headers.get('content-length')) : undefined);
  if (size !== undefined && size > t.maxBytes) throw new HubError(id, url, `${size} bytes exceed the limit of ${t.maxBytes} (maxBytes)`);

  const snapshot = inside(repoDir, join(repoDir, 'snapshots', commit, id.file));
  const have = fileSize(snapshot);
  if (have !== undefined && (size === undefined || have === size)) {
    writeRef(repoDir, id.revision, commit);
    return { path: snapshot, url, fromCache: true, commit };
  }
  const blobs = join(repoDir, 'blobs');
  const got = await fetchToTemp(url, blobs, `${id.repo} ${id.file}`, size, t);
  try {
    const bad = etag?.length === 64 && got.sha256 !== etag ? `sha256 ${got.sha256}` : etag?.length === 40 && got.gitSha1 !== undefined && got.gitSha1 !== etag ? `git sha1 ${got.gitSha1}` : undefined;
    if (bad !== undefined) throw new HubError(id, url, `content does not match the ETag ${etag}: got ${bad}`);
    const blob = inside(repoDir, join(blobs, etag ?? got.sha256));
    await rename(got.tmp, blob);
    linkSnapshot(blob, snapshot);
    writeRef(repoDir, id.revision, commit);
    return { path: snapshot, url, fromCache: false, commit };
  } finally {
    await rm(got.tmp, { force: true });
  }
}

const TORCH_HASH = /-([0-9a-f]{8,64})\.[A-Za-z0-9]+$/;

/**
 * Downloads a checkpoint from an https URL (torchvision's, deit's) into `<urlCacheDir>/url/<hash of the URL>/<file
 * name>`, or finds it there (URLs are taken as immutable, as torch.hub does). A torchvision file name's hash
 * prefix (`resnet50-0676ba61.pth`) is checked against the content's sha256, as torchvision's `check_hash` does.
 */
export async function urlDownload(url: string, o: DownloadOptions = {}): Promise<DownloadedFile> {
  const s = hubSettings(o);
  const t = transferOptions(s, o);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DownloadError(url, 'not a URL');
  }
  const name = decodeURIComponent(parsed.pathname.split('/').pop() ?? '');
  if (!/^[A-Za-z0-9_][A-Za-z0-9._+=,-]{0,254}$/.test(name)) throw new DownloadError(url, 'the URL does not end in a plain file name');
  const dir = inside(s.urlCacheDir, join(s.urlCacheDir, 'url', createHash('sha256').update(url).digest('hex').slice(0, 16)));
  const path = join(dir, name);
  if (fileSize(path) !== undefined) return { path, url, fromCache: true };
  if (s.offline) throw new DownloadError(url, `not in the cache ${dir} and offline (HF_HUB_OFFLINE)`);
  const got = await fetchToTemp(url, dir, name, undefined, t);
  try {
    const prefix = TORCH_HASH.exec(name)?.[1];
    const check = o.checkHash ?? parsed.hostname === 'download.pytorch.org';
    if (check && prefix !== undefined && !got.sha256.startsWith(prefix)) {
      throw new DownloadError(url, `content sha256 ${got.sha256} does not start with the file name's hash ${prefix}`);
    }
    await rename(got.tmp, path);
    return { path, url, fromCache: false };
  } finally {
    await rm(got.tmp, { force: true });
  }
}
