import { readFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError } from '../errors.js';
import type { StateDict } from '../tensor-data.js';
import { tempFiles } from '../test/temp-files.js';
import { loadSafetensors } from './load-safetensors.js';
import { parseSafetensors, parseSafetensorsHeaderBytes, safetensorsBytes } from './safetensors-bytes.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';

const tensors: StateDict = new Map([
  ['a.weight', { dtype: 'F32', shape: [2, 3], data: Float32Array.of(1, -2, 3.5, 0, 1e-7, -0) }],
  ['a.bias', { dtype: 'I64', shape: [2], data: BigInt64Array.of(5n, -9n) }],
  ['empty', { dtype: 'F16', shape: [0, 4], data: new Uint16Array(0) }],
]);

/** Bytes of a safetensors file built by hand: length prefix, header text, data (independent of the writer). */
function handMade(): Uint8Array {
  const header = new TextEncoder().encode(JSON.stringify({ __metadata__: { format: 'pt' }, w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }));
  const out = new Uint8Array(8 + header.byteLength + 8);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.byteLength), true);
  out.set(header, 8);
  new DataView(out.buffer).setFloat32(8 + header.byteLength, 0.25, true);
  new DataView(out.buffer).setFloat32(12 + header.byteLength, -4, true);
  return out;
}

const files = tempFiles('deitjs-load-weights-');

describe('safetensors bytes', () => {
  it('parses hand-made bytes: values, dtype, shape, metadata', () => {
    const sd = parseSafetensors(handMade());
    expect([...sd.keys()]).toEqual(['w']);
    expect(Array.from(sd.get('w')!.data as Float32Array)).toEqual([0.25, -4]);
    expect(parseSafetensorsHeaderBytes(handMade()).metadata).toEqual({ format: 'pt' });
  });

  it('writes exactly the bytes writeSafetensors writes, and reads them back', () => {
    const file = files.write('w.safetensors', new Uint8Array(0));
    writeSafetensors(file, tensors, { k: 'v' });
    const bytes = safetensorsBytes(tensors, { k: 'v' });
    expect(Buffer.from(bytes).equals(readFileSync(file))).toBe(true);
    const back = parseSafetensors(bytes.buffer as ArrayBuffer, { names: ['a.bias'] });
    expect([...back.keys()]).toEqual(['a.bias']);
    expect(Array.from(back.get('a.bias')!.data as BigInt64Array)).toEqual([5n, -9n]);
  });

  it('reads a timm fixture from bytes exactly as the file reader does', () => {
    const file = fileURLToPath(new URL('../../../../fixtures/deit_micro_patch4_32.safetensors', import.meta.url));
    const fromBytes = parseSafetensors(readFileSync(file), { source: file });
    const fromFile = readSafetensors(file);
    expect([...fromBytes.keys()]).toEqual([...fromFile.keys()]);
    for (const [k, t] of fromFile) {
      const b = fromBytes.get(k)!;
      expect([b.dtype, b.shape], k).toEqual([t.dtype, t.shape]);
      expect(Buffer.from(b.data.buffer).equals(Buffer.from(t.data.buffer)), k).toBe(true);
    }
  });

  it('refuses truncated bytes with a CheckpointError naming the source', () => {
    const bytes = safetensorsBytes(tensors);
    const cut = bytes.subarray(0, bytes.byteLength - 3);
    expect(() => parseSafetensors(cut, { source: 'weights.safetensors' })).toThrow(CheckpointError);
    expect(() => parseSafetensors(cut, { source: 'weights.safetensors' })).toThrow(/weights\.safetensors/);
    expect(() => parseSafetensors(new Uint8Array(5))).toThrow(/truncated/);
  });
});

describe('loadSafetensors', () => {
  let server: Server;
  let base: string;
  const bytes = safetensorsBytes(tensors);
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/w.safetensors') {
        res.writeHead(200, { 'content-length': String(bytes.byteLength) });
        res.end(Buffer.from(bytes));
      } else if (req.url === '/short.safetensors') {
        // States the full length, then sends part of it and closes the connection.
        res.writeHead(200, { 'content-length': String(bytes.byteLength) });
        res.write(Buffer.from(bytes.subarray(0, 20)));
        res.socket?.destroy();
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const expectSame = (sd: StateDict) => {
    expect([...sd.keys()]).toEqual([...tensors.keys()]);
    for (const [k, t] of tensors) expect(sd.get(k)).toEqual(t);
  };

  it('reads an ArrayBuffer, a typed-array view and a Blob', async () => {
    expectSame(await loadSafetensors(bytes.slice().buffer));
    const padded = new Uint8Array(bytes.byteLength + 16);
    padded.set(bytes, 16);
    expectSame(await loadSafetensors(padded.subarray(16)));
    expectSame(await loadSafetensors(new Blob([bytes])));
  });

  it('fetches a URL (URL object or string) with progress, and refuses 404, truncation and oversize', async () => {
    const seen: Array<[number, number | undefined]> = [];
    expectSame(await loadSafetensors(new URL(`${base}/w.safetensors`), { onProgress: (n, total) => seen.push([n, total]) }));
    expect(seen.at(-1)).toEqual([bytes.byteLength, bytes.byteLength]);
    expectSame(await loadSafetensors(`${base}/w.safetensors`));
    await expect(loadSafetensors(`${base}/missing.safetensors`)).rejects.toThrow(/HTTP 404/);
    await expect(loadSafetensors(`${base}/short.safetensors`)).rejects.toBeInstanceOf(CheckpointError);
    await expect(loadSafetensors(`${base}/w.safetensors`, { maxBytes: 100 })).rejects.toThrow(/100-byte limit/);
  });

  it('reads a local path or file: URL in Node, and names a missing file', async () => {
    const file = files.write('local.safetensors', bytes);
    expectSame(await loadSafetensors(file));
    expectSame(await loadSafetensors(pathToFileURL(file)));
    expect(readSafetensors(file).size).toBe(3);
    await expect(loadSafetensors(join(dirname(file), 'nope.safetensors'))).rejects.toThrow(/nope\.safetensors.*cannot be read/);
  });
});
