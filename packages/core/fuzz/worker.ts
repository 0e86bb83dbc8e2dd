// A fuzz worker process: reads one case after another (sent by the parent), writes its file and runs the public
// checkpoint reader on it, and reports how the reader ended. The parent watches time and memory.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { CheckpointError, DeitError } from '../src/errors.js';
import { HOSTILE_FILES } from '../src/io/hostile-files.js';
import { withCheckpointFile } from '../src/io/open-file.js';
import { FileSource, pythonGlobal, unpickle } from '../src/io/pickle.js';
import { readCheckpoint } from '../src/io/state-dict-file.js';
import { readZipDirectory } from '../src/io/zip.js';
import { ARRAY_OF_DTYPE, numel } from '../src/tensor-data.js';
import { caseRng, mutate, type Structure } from './mutate.js';
import type { FuzzCase, FuzzResult, Outcome } from './protocol.js';

const workDir = process.argv[2]!;
const casePath = process.argv[3]!;

interface Fixture {
  bytes: Uint8Array;
  structure: Structure;
}
const fixtures = new Map<string, Fixture>();

/** Where the structure of a fixture lies, so mutations can aim at it. */
function structureOf(file: string, bytes: Uint8Array): Structure {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) {
    const s: Structure = { regions: [], fields32: [], fields64: [] };
    const entries = withCheckpointFile(file, (fd, size) => readZipDirectory(file, fd, size));
    const contents: [string, Uint8Array][] = entries.map((e) => {
      const start = e.localHeaderOffset + 30 + view.getUint16(e.localHeaderOffset + 26, true) + view.getUint16(e.localHeaderOffset + 28, true);
      return [e.name, bytes.subarray(start, start + e.size)];
    });
    s.zip = { entries: contents, pkl: entries.findIndex((e) => e.name.endsWith('data.pkl')) };
    for (const e of entries) {
      const nameLen = view.getUint16(e.localHeaderOffset + 26, true);
      s.regions.push([e.localHeaderOffset, e.localHeaderOffset + 30 + nameLen]);
      s.fields32.push(e.localHeaderOffset + 18, e.localHeaderOffset + 22, e.localHeaderOffset + 26);
      if (e.name.endsWith('data.pkl')) s.regions.push([e.localHeaderOffset + 30, e.localHeaderOffset + 30 + nameLen + e.size]);
    }
    const cdStart = Math.max(...entries.map((e) => e.end));
    s.regions.push([Math.min(cdStart, bytes.length - 22), bytes.length]);
    for (let i = cdStart; i + 46 <= bytes.length; i++) {
      if (view.getUint32(i, true) === 0x02014b50) s.fields32.push(i + 20, i + 24, i + 28, i + 30, i + 42);
    }
    s.fields32.push(bytes.length - 22 + 8, bytes.length - 22 + 12, bytes.length - 22 + 16);
    return s;
  }
  if (bytes[0] === 0x80) {
    // Legacy .pth: five pickles, then each storage as an 8-byte count and its elements (4 or 8 bytes each).
    const start = withCheckpointFile(file, (fd, size) => {
      const source = new FileSource(file, fd, 0, size);
      for (let i = 0; i < 5; i++) unpickle(source, { file, findGlobal: permissive, persistentLoad: (pid) => pid });
      return source.position;
    });
    const fields64: number[] = [];
    for (let at = start; at + 8 <= bytes.length && fields64.length < 10_000; ) {
      fields64.push(at);
      const count = Number(view.getBigInt64(at, true));
      const next4 = at + 8 + count * 4;
      at = next4 + 8 <= bytes.length && next4 !== bytes.length && plausible(view, next4) ? next4 : at + 8 + count * 8;
    }
    return { regions: [[0, start]], fields32: [], fields64, pickle: [0, start] };
  }
  const headerLen = Number(view.getBigUint64(0, true));
  return { regions: [[0, 8 + headerLen]], fields32: [], fields64: [0] };
}

// The legacy pickles name torch globals; mapping every global to an inert value is enough to find where they end.
const permissive = (module: string, name: string) => pythonGlobal(module, name) ?? pythonGlobal('argparse', 'Namespace')!;

function plausible(view: DataView, at: number): boolean {
  const c = view.getBigInt64(at, true);
  return c >= 0n && c < BigInt(view.byteLength);
}

function fixture(path: string): Fixture {
  let f = fixtures.get(path);
  if (f === undefined) {
    const bytes = new Uint8Array(readFileSync(path));
    f = { bytes, structure: structureOf(path, bytes) };
    fixtures.set(path, f);
  }
  return f;
}

/** Writes the case's file (or makes the special path) and returns the path to read. */
function prepare(c: FuzzCase): { path: string; steps: string[] } {
  rmSync(casePath, { force: true, recursive: true });
  if (c.kind === 'hostile') {
    writeFileSync(casePath, HOSTILE_FILES.find((h) => h.name === c.name)!.bytes());
    return { path: casePath, steps: [c.name] };
  }
  if (c.kind === 'special') {
    if (c.name === 'fifo') spawnSync('mkfifo', [casePath]);
    else if (c.name === 'directory') mkdirSync(casePath);
    else if (c.name === 'device') return { path: '/dev/zero', steps: ['/dev/zero'] };
    else symlinkSync('/dev/zero', casePath);
    return { path: casePath, steps: [c.name] };
  }
  const f = fixture(c.fixture);
  const others = c.others.map((o) => fixture(o).bytes);
  const m = mutate(caseRng(c.seed, c.id), f.bytes, f.structure, others);
  writeFileSync(casePath, m.bytes);
  return { path: casePath, steps: [basename(c.fixture), ...m.steps] };
}

/** Runs the reader; `ok` only if every tensor it returns is consistent (elements = product of the shape). */
function run(path: string): [Outcome, string] {
  try {
    const contents = readCheckpoint(path);
    for (const [name, t] of contents.tensors) {
      if (!(t.data instanceof ARRAY_OF_DTYPE[t.dtype]) || t.data.length !== numel(t.shape)) return ['invalid', `tensor ${name}: ${t.dtype} ${t.shape.length} dims, ${t.data.length} elements`];
    }
    return ['ok', `${contents.format}, ${contents.tensors.size} tensors`];
  } catch (err) {
    const message = err instanceof Error ? err.message.slice(0, 300) : String(err).slice(0, 300);
    if (err instanceof CheckpointError) {
      // The safety net of withCheckpointFile: a reader bug that would have escaped as a raw error.
      if (err.cause !== undefined && !(err.cause instanceof DeitError) && err.message.includes('(internal error: ')) return ['wrapped', message];
      return ['typed', message];
    }
    return ['raw', `${(err as Error)?.name ?? typeof err}: ${message}`];
  }
}

process.on('message', (c: FuzzCase) => {
  const { path, steps } = prepare(c);
  const t = performance.now();
  const [outcome, detail] = run(path);
  const ms = performance.now() - t;
  const result: FuzzResult = { id: c.id, outcome, detail, steps, ms, maxRssMb: process.resourceUsage().maxRSS / 1024 };
  process.send!(result);
});

mkdirSync(workDir, { recursive: true });
process.send!({ ready: true });
