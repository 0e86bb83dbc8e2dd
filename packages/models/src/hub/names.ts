import { ConfigError } from '@deitjs/core';

// What the Hub itself accepts for a repository name part: letters, digits, `-`, `_`, `.`, not starting or ending
// with `-`/`.`, no `--` or `..` (so `models--org--name` cache folders stay unambiguous), at most 96 characters.
const REPO_PART = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$/;
// One path segment of a revision or a file name: no separators, no `.`/`..`, no control or shell-special characters.
const SEGMENT = /^[A-Za-z0-9_@+=,-][A-Za-z0-9._@+=,-]*$/;
const MAX_PATH = 255;

/** A 40-hex-digit git commit hash (what the Hub's `X-Repo-Commit` must be; a revision that needs no ref). */
export const COMMIT_HASH = /^[0-9a-f]{40}$/;

const quoted = (s: string): string => JSON.stringify(s.length > 120 ? `${s.slice(0, 120)}…` : s);

/** A repository id (`org/name` or a legacy `name`) checked the Hub's way: never a path outside its cache folder. */
export function checkRepoId(repo: string, option = 'pretrained'): string {
  const parts = repo.split('/');
  const ok = parts.length <= 2 && parts.every((p) => REPO_PART.test(p) && !p.includes('--') && !p.includes('..'));
  if (!ok) throw new ConfigError(option, `invalid Hugging Face repository id ${quoted(repo)} (expected org/name: letters, digits, "-", "_", "." ; no "..", "--")`);
  return repo;
}

function checkPath(what: string, value: string, option: string): string {
  const segments = value.split('/');
  const ok = value.length > 0 && value.length <= MAX_PATH && segments.every((s) => SEGMENT.test(s) && s !== '.' && s !== '..');
  if (!ok) throw new ConfigError(option, `invalid ${what} ${quoted(value)} (relative "/"-separated names of letters, digits, "._-@+=,"; no "..", no absolute paths)`);
  return value;
}

/** A branch, tag or commit (`main`, `v1.0`, `refs/pr/1`, a hash): relative segments only, so `refs/<revision>` stays in the cache. */
export function checkRevision(revision: string, option = 'pretrained'): string {
  return checkPath('revision', revision, option);
}

/** A file name inside a repository (`model.safetensors`, `weights/model.bin`): relative segments only. */
export function checkFileName(file: string, option = 'pretrained'): string {
  return checkPath('file name', file, option);
}

/** The Hub URL of a file: `{endpoint}/{repo}/resolve/{revision}/{file}`, the revision encoded as one segment. */
export function hubFileUrl(endpoint: string, repo: string, revision: string, file: string): string {
  const path = file.split('/').map(encodeURIComponent).join('/');
  return `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${path}`;
}

/** A validated endpoint (`HF_ENDPOINT`): an http(s) URL without a trailing slash, query or fragment. */
export function checkEndpoint(endpoint: string, option = 'HF_ENDPOINT'): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ConfigError(option, `not a URL: ${quoted(endpoint)}`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new ConfigError(option, `must be an http(s) URL without credentials, query or fragment, got ${quoted(endpoint)}`);
  }
  return url.href.replace(/\/+$/, '');
}

/** A `hf-hub:<repo>[@<revision>]` reference (timm's spelling), checked. */
export interface HubSpec {
  /** Repository id. */
  repo: string;
  /** Revision (default `main`). */
  revision: string;
}

/** Parses `hf-hub:org/name[@revision]`; anything malformed is a ConfigError on `option`. */
export function parseHubSpec(spec: string, option = 'pretrained'): HubSpec {
  if (!spec.startsWith('hf-hub:')) throw new ConfigError(option, `expected hf-hub:<org/name>[@revision], got ${quoted(spec)}`);
  const body = spec.slice('hf-hub:'.length);
  const at = body.indexOf('@');
  const repo = at < 0 ? body : body.slice(0, at);
  const revision = at < 0 ? 'main' : body.slice(at + 1);
  return { repo: checkRepoId(repo, option), revision: checkRevision(revision, option) };
}
