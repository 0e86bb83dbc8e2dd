import { createHash } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the test Hub serves one file (each field a way to misbehave). */
export interface ServedFile {
  body: Uint8Array;
  /** Served as an LFS file: HEAD answers 302 to the CDN path with X-Linked-Etag (sha256) and X-Linked-Size. */
  lfs?: boolean;
  /** Size claimed in the HEAD's metadata (a wrong size). */
  claimedSize?: number;
  /** ETag claimed (a wrong hash). */
  etag?: string;
  /** GET sends the full Content-Length but closes after this many bytes (a truncated transfer). */
  truncateAt?: number;
  /** GET answers with a redirect to this URL (a hostile redirect). */
  redirectTo?: string;
  /** GET streams the body chunked, with no Content-Length, and HEAD gives no size. */
  noLength?: boolean;
}

/** One repository of the test Hub: its commit and files. */
export interface ServedRepo {
  commit: string;
  files: Record<string, ServedFile>;
  /** X-Repo-Commit to send instead of the commit (a hostile header). */
  commitHeader?: string;
}

/** A Hub-shaped HTTP server on 127.0.0.1 (`/{repo}/resolve/{revision}/{file}`, HEAD and GET) and what it was asked. */
export interface TestHub {
  endpoint: string;
  requests: Array<{ method: string; url: string; authorization: string | undefined }>;
  close(): Promise<void>;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const gitSha1 = (b: Uint8Array): string => createHash('sha1').update(`blob ${b.byteLength}\0`).update(b).digest('hex');

/** A 40-hex commit derived from a label (stable across runs). */
export const fakeCommit = (label: string): string => createHash('sha1').update(label).digest('hex');

/** Serves `repos` (keyed `org/name`; revision `main` or the commit) and plain `paths` (for URL downloads) until closed. */
export async function startTestHub(repos: Record<string, ServedRepo>, paths: Record<string, ServedFile> = {}): Promise<TestHub> {
  const requests: TestHub['requests'] = [];
  const cdn = new Map<string, ServedFile>();
  for (const r of Object.values(repos)) for (const f of Object.values(r.files)) if (f.lfs) cdn.set(sha256(f.body), f);
  let origin = '';
  const sendBody = (res: ServerResponse, f: ServedFile): void => {
    if (f.redirectTo !== undefined) {
      res.writeHead(302, { location: f.redirectTo }).end();
      return;
    }
    if (f.noLength) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.from(f.body));
      return;
    }
    res.writeHead(200, { 'content-length': String(f.body.byteLength), 'content-type': 'application/octet-stream' });
    if (f.truncateAt !== undefined) {
      res.write(Buffer.from(f.body.subarray(0, f.truncateAt)), () => res.socket?.destroy());
      return;
    }
    res.end(Buffer.from(f.body));
  };
  // Answers one request; `end` ends a bodiless answer.
  const answer = (req: IncomingMessage, res: ServerResponse): void => {
    const end = (status: number, headers: Record<string, string> = {}): void => {
      res.writeHead(status, headers).end();
    };
    const path = decodeURIComponent((req.url ?? '').split('?')[0]!);
    const cdnHit = /^\/cdn\/([0-9a-f]{64})$/.exec(path);
    if (cdnHit !== null && cdn.has(cdnHit[1]!)) {
      sendBody(res, cdn.get(cdnHit[1]!)!);
    } else if (Object.hasOwn(paths, path)) {
      if (req.method === 'HEAD') end(200);
      else sendBody(res, paths[path]!);
    } else {
      const m = /^\/(.+?)\/resolve\/([^/]+)\/(.+)$/.exec(path);
      const repo = m === null ? undefined : repos[m[1]!];
      if (m === null || repo === undefined) end(404, { 'x-error-code': 'RepoNotFound' });
      else if (m[2] !== 'main' && m[2] !== repo.commit) end(404, { 'x-error-code': 'RevisionNotFound' });
      else serveFile(req, res, repo, repo.files[m[3]!], end);
    }
  };
  const serveFile = (req: IncomingMessage, res: ServerResponse, repo: ServedRepo, f: ServedFile | undefined, end: (s: number, h?: Record<string, string>) => void): void => {
    const meta: Record<string, string> = { 'x-repo-commit': repo.commitHeader ?? repo.commit };
    if (f === undefined) {
      end(404, { 'x-error-code': 'EntryNotFound', 'x-repo-commit': repo.commit });
    } else if (req.method === 'HEAD') {
      const size = String(f.claimedSize ?? f.body.byteLength);
      if (f.lfs) end(302, { ...meta, 'x-linked-etag': `"${f.etag ?? sha256(f.body)}"`, 'x-linked-size': size, location: `${origin}/cdn/${sha256(f.body)}` });
      else end(200, { ...meta, etag: `"${f.etag ?? gitSha1(f.body)}"`, ...(f.noLength ? {} : { 'content-length': size }) });
    } else if (f.lfs && f.redirectTo === undefined) {
      end(302, { ...meta, location: `${origin}/cdn/${sha256(f.body)}` });
    } else {
      sendBody(res, f);
    }
  };
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    answer(req, res);
  };
  const server: Server = createServer({ keepAliveTimeout: 60_000 }, handle);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint: origin,
    requests,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
