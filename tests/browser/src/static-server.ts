// A static server for the built page: 127.0.0.1 only, cross-origin isolated (SharedArrayBuffer, which wasm threads
// and deitjs's shared-memory kernels need), GET only, and no path outside its folders.
import { createReadStream, statSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';

/** Headers that make the page cross-origin isolated. */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

/** A running server: its origin (`http://127.0.0.1:<port>`) and how to stop it. */
export interface StaticServer {
  origin: string;
  close(): Promise<void>;
}

/** Serves `mounts` (URL prefix → folder, e.g. `{ '/': dist, '/fixtures/': fixtures }`) on a free port of 127.0.0.1. */
export async function serveStatic(mounts: Readonly<Record<string, string>>): Promise<StaticServer> {
  // Longest prefix first, so `/fixtures/` wins over `/`.
  const table = Object.entries(mounts).sort((a, b) => b[0].length - a[0].length);
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    const mount = table.find(([prefix]) => path.startsWith(prefix));
    const file = mount === undefined ? undefined : fileUnder(mount[1], path.slice(mount[0].length) || 'index.html');
    if (req.method !== 'GET' || file === undefined) {
      res.writeHead(req.method === 'GET' ? 404 : 405, ISOLATION_HEADERS).end();
      return;
    }
    res.writeHead(200, { ...ISOLATION_HEADERS, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': statSync(file).size });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', done);
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((done) => server.close(() => done())),
  };
}

/** The regular file `rel` names inside `root`, or undefined (missing, a folder, or outside `root`). */
function fileUnder(root: string, rel: string): string | undefined {
  const base = resolve(root);
  const file = resolve(join(base, rel));
  if (!file.startsWith(base + sep)) return undefined;
  try {
    return statSync(file).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}
