import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { writeFileAtomic } from '@deitjs/core';
import { checkEndpoint } from './names.js';
import { COMMIT_HASH } from './names.js';

/** Where downloads go and whom they come from; each field defaults to its environment variable (see {@link hubSettings}). */
export interface HubEnvOptions {
  /** Hugging Face hub cache folder (default `HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`). */
  cacheDir?: string;
  /** Cache folder of plain-URL downloads (default `DEITJS_CACHE`, else `~/.cache/deitjs`). */
  urlCacheDir?: string;
  /** Hub endpoint (default `HF_ENDPOINT`, else `https://huggingface.co`): plain http is accepted from it only. */
  endpoint?: string;
  /** Access token for gated/private repositories (default `HF_TOKEN`), sent to the endpoint only. */
  token?: string;
  /** Use the cache only, never the network (default `HF_HUB_OFFLINE`). */
  offline?: boolean;
  /** Environment to read the defaults from (default `process.env`). */
  env?: Record<string, string | undefined>;
}

/** The resolved settings of {@link HubEnvOptions}. */
export interface HubSettings {
  cacheDir: string;
  urlCacheDir: string;
  endpoint: string;
  token: string | undefined;
  offline: boolean;
}

const truthy = (v: string | undefined): boolean => v !== undefined && ['1', 'on', 'yes', 'true'].includes(v.trim().toLowerCase());
const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());
const expand = (p: string): string => resolve(p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p);

/** Reads the Hugging Face variables the way huggingface_hub does (`HF_HOME`, `HF_HUB_CACHE`, `HF_ENDPOINT`, `HF_TOKEN`, `HF_HUB_OFFLINE`). */
export function hubSettings(o: HubEnvOptions = {}): HubSettings {
  const env = o.env ?? process.env;
  const xdg = nonEmpty(env.XDG_CACHE_HOME) ?? join(homedir(), '.cache');
  const hfHome = nonEmpty(env.HF_HOME) ?? join(xdg, 'huggingface');
  const cacheDir = o.cacheDir ?? nonEmpty(env.HF_HUB_CACHE) ?? nonEmpty(env.HUGGINGFACE_HUB_CACHE) ?? join(hfHome, 'hub');
  const urlCacheDir = o.urlCacheDir ?? nonEmpty(env.DEITJS_CACHE) ?? join(xdg, 'deitjs');
  return {
    cacheDir: expand(cacheDir),
    urlCacheDir: expand(urlCacheDir),
    endpoint: checkEndpoint(o.endpoint ?? nonEmpty(env.HF_ENDPOINT) ?? 'https://huggingface.co', o.endpoint === undefined ? 'HF_ENDPOINT' : 'endpoint'),
    token: nonEmpty(o.token) ?? nonEmpty(env.HF_TOKEN) ?? nonEmpty(env.HUGGING_FACE_HUB_TOKEN),
    offline: o.offline ?? truthy(env.HF_HUB_OFFLINE),
  };
}

/** `path` if it lies strictly inside `root`; throws otherwise (a last guard behind the name checks). */
export function inside(root: string, path: string): string {
  const r = resolve(root);
  const p = resolve(path);
  if (!p.startsWith(r + sep)) throw new Error(`internal: ${p} is outside the cache ${r}`);
  return p;
}

/** The huggingface_hub cache folder of a repository: `<cache>/models--org--name`. */
export function repoFolder(cacheDir: string, repo: string): string {
  return inside(cacheDir, join(cacheDir, `models--${repo.split('/').join('--')}`));
}

/** A regular file's size, or undefined when it is missing or not a file (symlinks followed). */
export function fileSize(path: string): number | undefined {
  try {
    const st = statSync(path);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

/** The commit a cached ref (`refs/<revision>`) points at, if it holds a valid hash. */
export function readRef(repoDir: string, revision: string): string | undefined {
  if (COMMIT_HASH.test(revision)) return revision;
  try {
    const commit = readFileSync(inside(repoDir, join(repoDir, 'refs', revision)), 'utf8').trim();
    return COMMIT_HASH.test(commit) ? commit : undefined;
  } catch {
    return undefined;
  }
}

/** The cached snapshot file of `revision` (through its ref unless it is a commit hash), if present. */
export function cachedSnapshot(repoDir: string, revision: string, file: string): string | undefined {
  const commit = readRef(repoDir, revision);
  if (commit === undefined) return undefined;
  const path = inside(repoDir, join(repoDir, 'snapshots', commit, file));
  return fileSize(path) === undefined ? undefined : path;
}

/** Records `refs/<revision>` → commit atomically (nothing for a commit-hash revision). */
export function writeRef(repoDir: string, revision: string, commit: string): void {
  if (revision === commit) return;
  const ref = inside(repoDir, join(repoDir, 'refs', revision));
  mkdirSync(dirname(ref), { recursive: true });
  writeFileAtomic(ref, [commit]);
}

/** A fresh temp path in `dir` for a download in progress (never a cache entry: renamed only when complete and verified). */
export function tempDownloadPath(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return join(dir, `.${process.pid}.${randomBytes(6).toString('hex')}.incomplete`);
}

/**
 * Points `snapshot` at `blob` with a relative symlink (huggingface_hub's layout), replacing any old entry
 * atomically; where symlinks are not allowed, a copy renamed into place.
 */
export function linkSnapshot(blob: string, snapshot: string): void {
  mkdirSync(dirname(snapshot), { recursive: true });
  const tmp = tempDownloadPath(dirname(snapshot));
  try {
    try {
      symlinkSync(relative(dirname(snapshot), blob), tmp);
    } catch {
      copyFileSync(blob, tmp);
    }
    renameSync(tmp, snapshot);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
