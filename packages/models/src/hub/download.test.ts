import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@deitjs/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type TestHub, fakeCommit, startTestHub } from '../test/hub-server.js';
import { type DownloadOptions, hubDownload, urlDownload } from './download-node.js';
import { DownloadError, HubError } from './errors.js';
import type { DownloadProgress } from './transfer.js';

const fixture = (name: string): Uint8Array => readFileSync(fileURLToPath(new URL(`../../../../fixtures/${name}`, import.meta.url)));
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const weights = fixture('deit_micro_patch4_32.safetensors');
const small = fixture('timm_resnet_bottleneck_tiny.pth');
const COMMIT = fakeCommit('good');

const dirs: string[] = [];
const hubs: TestHub[] = [];
afterEach(async () => {
  for (const h of hubs.splice(0)) await h.close();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh HF_HOME and options pointing HF_ENDPOINT at `hub`. */
function setup(hub: TestHub, extra: Record<string, string> = {}): { home: string; opts: DownloadOptions } {
  const home = mkdtempSync(join(tmpdir(), 'deitjs-hub-'));
  dirs.push(home);
  return { home, opts: { env: { HF_HOME: home, HF_ENDPOINT: hub.endpoint, DEITJS_CACHE: join(home, 'deitjs'), ...extra } } };
}

async function hub(...args: Parameters<typeof startTestHub>): Promise<TestHub> {
  const h = await startTestHub(...args);
  hubs.push(h);
  return h;
}

/** Every file under `dir` (relative paths), to show that a failure left nothing behind. */
function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => !e.isDirectory())
      .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
      .sort();
  } catch {
    return [];
  }
}

describe('hubDownload', () => {
  it('downloads an LFS file into the huggingface_hub layout with progress, then serves it from the cache offline', async () => {
    const h = await hub({ 'test-org/micro': { commit: COMMIT, files: { 'model.safetensors': { body: weights, lfs: true } } } });
    const { home, opts } = setup(h);
    const seen: DownloadProgress[] = [];
    const got = await hubDownload({ repo: 'test-org/micro', file: 'model.safetensors' }, { ...opts, onProgress: (p) => seen.push(p) });
    const repoDir = join(home, 'hub', 'models--test-org--micro');
    expect(got).toMatchObject({ path: join(repoDir, 'snapshots', COMMIT, 'model.safetensors'), fromCache: false, commit: COMMIT });
    expect(sha256(readFileSync(got.path))).toBe(sha256(weights));
    expect(readlinkSync(got.path)).toBe(join('..', '..', 'blobs', sha256(weights)));
    expect(readFileSync(join(repoDir, 'refs', 'main'), 'utf8')).toBe(COMMIT);
    expect(filesUnder(repoDir)).toEqual([`blobs/${sha256(weights)}`, 'refs/main', `snapshots/${COMMIT}/model.safetensors`]);
    expect(seen.at(-1)).toEqual({ url: `${h.endpoint}/test-org/micro/resolve/main/model.safetensors`, file: 'test-org/micro model.safetensors', loaded: weights.byteLength, total: weights.byteLength });
    expect(seen.map((p) => p.loaded)).toEqual([...seen.map((p) => p.loaded)].sort((a, b) => a - b));

    // Online again: a HEAD only, no body.
    const before = h.requests.length;
    expect(await hubDownload({ repo: 'test-org/micro', file: 'model.safetensors' }, opts)).toMatchObject({ path: got.path, fromCache: true });
    expect(h.requests.slice(before).map((r) => r.method)).toEqual(['HEAD']);

    await h.close();
    // The server is gone: HF_HUB_OFFLINE, or the unreachable Hub's fallback, both find the cached file.
    const offline = await hubDownload({ repo: 'test-org/micro', file: 'model.safetensors' }, { env: { ...opts.env, HF_HUB_OFFLINE: '1' } });
    expect(offline).toMatchObject({ path: got.path, fromCache: true });
    expect(await hubDownload({ repo: 'test-org/micro', file: 'model.safetensors' }, opts)).toMatchObject({ path: got.path, fromCache: true });
    // A file never downloaded is a HubError naming it.
    await expect(hubDownload({ repo: 'test-org/micro', file: 'pytorch_model.bin' }, { ...opts, offline: true })).rejects.toThrow(/test-org\/micro@main pytorch_model\.bin: not in the cache/);
  });

  it("checks a regular (non-LFS) file against its git blob sha1 ETag and sends HF_TOKEN to the endpoint", async () => {
    const h = await hub({ 'org/small': { commit: COMMIT, files: { 'pytorch_model.bin': { body: small } } } });
    const { opts } = setup(h, { HF_TOKEN: 'hf_test' });
    const got = await hubDownload({ repo: 'org/small', revision: COMMIT, file: 'pytorch_model.bin' }, opts);
    expect(sha256(readFileSync(got.path))).toBe(sha256(small));
    expect(h.requests.map((r) => r.authorization)).toEqual(['Bearer hf_test', 'Bearer hf_test']);
    expect(h.requests[0]!.url).toBe(`/org/small/resolve/${COMMIT}/pytorch_model.bin`);
  });

  it('leaves no cache entry when the transfer is cut, the size is wrong, the hash is wrong or the file too large', async () => {
    const cases: Array<[string, Parameters<typeof startTestHub>[0]['x']['files']['f'], RegExp, number?]> = [
      ['truncated', { body: weights, lfs: true, truncateAt: 1000 }, /transfer failed after|truncated/],
      ['wrong size', { body: weights, lfs: true, claimedSize: weights.byteLength + 7 }, /size mismatch: the response announces 435296 bytes, the file's metadata 435303/],
      ['wrong hash', { body: weights, lfs: true, etag: sha256(small) }, /content does not match the ETag/],
      ['too large', { body: weights, lfs: true }, /435296 bytes exceed the limit of 4096 \(maxBytes\)/, 4096],
      ['too large, no size given', { body: weights, noLength: true }, /more than 4096 bytes \(maxBytes\)/, 4096],
    ];
    for (const [what, file, message, maxBytes] of cases) {
      const h = await hub({ 'org/bad': { commit: COMMIT, files: { 'model.safetensors': file } } });
      const { home, opts } = setup(h);
      const err = await hubDownload({ repo: 'org/bad', file: 'model.safetensors' }, { ...opts, maxBytes }).catch((e: unknown) => e);
      expect(err, what).toBeInstanceOf(DownloadError);
      expect((err as Error).message, what).toMatch(message);
      expect((err as Error).message, what).toContain(`${h.endpoint}/org/bad/resolve/main/model.safetensors`);
      expect(filesUnder(join(home, 'hub')), what).toEqual([]);
      if (what === 'too large') expect(h.requests.map((r) => r.method), what).toEqual(['HEAD']);
    }
  });

  it('refuses a redirect to plain http on another host before connecting to it', async () => {
    const other = await hub({}, { '/evil.bin': { body: weights } });
    const h = await hub({ 'org/redirect': { commit: COMMIT, files: { 'model.safetensors': { body: weights, redirectTo: `${other.endpoint.replace('127.0.0.1', 'localhost')}/evil.bin` } } } });
    const { home, opts } = setup(h);
    await expect(hubDownload({ repo: 'org/redirect', file: 'model.safetensors' }, opts)).rejects.toThrow(/redirect to http:\/\/localhost:\d+ refused \(only https, or the endpoint http:\/\/127\.0\.0\.1:\d+\)/);
    expect(other.requests).toEqual([]);
    expect(filesUnder(join(home, 'hub'))).toEqual([]);
  });

  it('refuses traversal in the repo id, revision and file name before any request, and a hostile commit header', async () => {
    const h = await hub({ 'org/x': { commit: COMMIT, files: { 'model.safetensors': { body: weights } }, commitHeader: '../../../escape' } });
    const { home, opts } = setup(h);
    const bad: Array<{ repo: string; revision?: string; file: string }> = [
      { repo: '../evil', file: 'model.safetensors' },
      { repo: 'org/..', file: 'model.safetensors' },
      { repo: 'org/a/b', file: 'model.safetensors' },
      { repo: 'org--x/y', file: 'model.safetensors' },
      { repo: 'org/x', file: '../../outside' },
      { repo: 'org/x', file: '/etc/passwd' },
      { repo: 'org/x', file: 'a/./b' },
      { repo: 'org/x', file: 'a\\..\\b' },
      { repo: 'org/x', revision: '../../refs', file: 'model.safetensors' },
      { repo: 'org/x', revision: 'refs/../../x', file: 'model.safetensors' },
      { repo: 'org/x', revision: '', file: 'model.safetensors' },
    ];
    for (const ref of bad) await expect(hubDownload(ref, opts), JSON.stringify(ref)).rejects.toBeInstanceOf(ConfigError);
    expect(h.requests).toEqual([]);
    const err = await hubDownload({ repo: 'org/x', file: 'model.safetensors' }, opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubError);
    expect((err as HubError).message).toMatch(/no valid X-Repo-Commit/);
    expect(filesUnder(home)).toEqual([]);
  });

  it('names missing repositories, revisions and files', async () => {
    const h = await hub({ 'org/x': { commit: COMMIT, files: {} } });
    const { opts } = setup(h);
    await expect(hubDownload({ repo: 'org/none', file: 'model.safetensors' }, opts)).rejects.toThrow(/org\/none@main model\.safetensors: HTTP 404: repository not found/);
    await expect(hubDownload({ repo: 'org/x', revision: 'v9', file: 'model.safetensors' }, opts)).rejects.toThrow(/HTTP 404: revision not found/);
    const err = await hubDownload({ repo: 'org/x', file: 'model.safetensors' }, opts).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_HUB', repo: 'org/x', revision: 'main', file: 'model.safetensors', notFound: true });
  });
});

describe('urlDownload', () => {
  it("caches a URL's file, checks a torchvision-style hash prefix, refuses http elsewhere", async () => {
    const good = `resnet_tiny-${sha256(small).slice(0, 8)}.pth`;
    const h = await hub({}, { [`/models/${good}`]: { body: small }, '/models/resnet_tiny-00000000.pth': { body: small } });
    const { home, opts } = setup(h);
    const got = await urlDownload(`${h.endpoint}/models/${good}`, { ...opts, checkHash: true });
    expect(got.fromCache).toBe(false);
    expect(got.path.startsWith(join(home, 'deitjs', 'url'))).toBe(true);
    expect(sha256(readFileSync(got.path))).toBe(sha256(small));
    expect(statSync(got.path).size).toBe(small.byteLength);
    expect(await urlDownload(`${h.endpoint}/models/${good}`, { ...opts, offline: true })).toMatchObject({ path: got.path, fromCache: true });
    await expect(urlDownload(`${h.endpoint}/models/resnet_tiny-00000000.pth`, { ...opts, checkHash: true })).rejects.toThrow(/does not start with the file name's hash 00000000/);
    await expect(urlDownload('http://example.invalid/x.pth', opts)).rejects.toThrow(/refused: only https URLs/);
    expect(filesUnder(join(home, 'deitjs')).map((f) => f.split('/').pop())).toEqual([good]);
  });
});

describe('the token', () => {
  it('goes to the endpoint only, never to the CDN an https redirect leads to', async () => {
    const body = new Uint8Array([1, 2, 3, 4, 5]);
    const seen: Array<[string, string, string | null]> = [];
    const fakeFetch = (async (url: string, init: RequestInit) => {
      const auth = new Headers(init.headers).get('authorization');
      seen.push([init.method ?? 'GET', url, auth]);
      if (url.startsWith('https://hub.test/')) {
        const meta = { 'x-repo-commit': COMMIT, 'x-linked-etag': `"${sha256(body)}"`, 'x-linked-size': '5', location: 'https://cdn.test/blob' };
        return new Response(null, { status: 302, headers: meta });
      }
      return new Response(init.method === 'HEAD' ? null : body, { status: 200, headers: { 'content-length': '5' } });
    }) as typeof fetch;
    const home = mkdtempSync(join(tmpdir(), 'deitjs-token-'));
    dirs.push(home);
    const got = await hubDownload({ repo: 'org/gated', file: 'model.safetensors' }, { env: { HF_HOME: home, HF_TOKEN: 'hf_secret', HF_ENDPOINT: 'https://hub.test' }, fetch: fakeFetch });
    expect(sha256(readFileSync(got.path))).toBe(sha256(body));
    expect(seen).toEqual([
      ['HEAD', 'https://hub.test/org/gated/resolve/main/model.safetensors', 'Bearer hf_secret'],
      ['GET', 'https://hub.test/org/gated/resolve/main/model.safetensors', 'Bearer hf_secret'],
      ['GET', 'https://cdn.test/blob', null],
    ]);
  });
});
