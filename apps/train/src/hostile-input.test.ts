// Issue 16: hostile input files given to deit-train. Each gives exit 2 and one stderr line naming the file, with
// control characters escaped and no stack trace; an unexpected failure gives exit 1 and a DEIT_DEBUG hint.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainIO } from './io.js';
import { main } from './main.js';
import { reportError } from './report-error.js';

const dir = mkdtempSync(join(tmpdir(), 'deit-train-hostile-'));
const f = (name: string) => join(dir, name);
const NASTY = '\u001b[2J\u001b]0;pwned\u0007\u009b31m';
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
let holdFifo: ChildProcess | undefined;

function capture(env: Record<string, string> = { DEIT_BACKEND: 'cpu' }): TrainIO & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) }, env, out: () => out, err: () => err };
}

const tiny = ['--data', 'mnist', '--train-per-class', '2', '--test-per-class', '1', '--epochs', '1', '--batch-size', '8', '--input-size', '32', '--model', 'deit_micro_patch4_32'];

beforeAll(() => {
  mkdirSync(f('a-directory.yaml'));
  execFileSync('mkfifo', [f('fifo.yaml')]);
  execFileSync('mkfifo', [f('fifo.pth')]);
  // Unblocks a reader stuck on a FIFO after 20 s, so a hang fails the test on time instead of freezing it.
  holdFifo = spawn('sh', ['-c', `sleep 20; : > '${f('fifo.yaml')}' & : > '${f('fifo.pth')}'`], { stdio: 'ignore' });
  writeFileSync(f(`bad${NASTY}.yaml`), 'epochs: [1, 2\n');
  writeFileSync(f('truncated.pth'), Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(40, 0xff)]));
  writeFileSync(f('garbage.safetensors'), Buffer.from('\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ffnot a header'));
});

afterAll(() => {
  holdFifo?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('deit-train on hostile files', () => {
  it.each([
    [['--config', f('a-directory.yaml')], 'a-directory.yaml'],
    [['--config', f('fifo.yaml')], 'fifo.yaml'],
    [['--config', f(`bad${NASTY}.yaml`)], 'bad\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m.yaml'],
    [[...tiny, '--resume', f('truncated.pth'), '--output', f('out1')], 'truncated.pth'],
    [[...tiny, '--resume', f('fifo.pth'), '--output', f('out2')], 'fifo.pth'],
    [[...tiny, '--model', 'deit_micro_distilled_patch4_32', '--teacher', 'resnet_mnist', '--teacher-weights', f('garbage.safetensors'), '--distillation-type', 'hard', '--output', f('out3')], 'garbage.safetensors'],
  ])('%j → exit 2, one escaped line naming the file', async (argv, shown) => {
    const io = capture();
    const t0 = performance.now();
    const code = await main(argv, io);
    expect(performance.now() - t0).toBeLessThan(15_000);
    expect(code).toBe(2);
    const errors = io
      .err()
      .split('\n')
      .filter((l) => l.startsWith('deit-train: ') && !/^deit-train: (backend|warning|the embedded)/.test(l));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(shown);
    expect(io.err()).not.toMatch(RAW_CONTROL);
    expect(io.err()).not.toMatch(/\n\s+at /);
  });
});

describe('deit-train error report', () => {
  it('an internal error: exit 1, one escaped line with the DEIT_DEBUG hint; the stack only under DEIT_DEBUG', () => {
    const err = new TypeError(`x${NASTY}\ny`);
    const quiet = capture({});
    expect(reportError(err, quiet)).toBe(1);
    expect(quiet.err()).toBe('deit-train: internal error: TypeError: x\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m y (set DEIT_DEBUG=1 for the stack trace)\n');
    const debug = capture({ DEIT_DEBUG: '1' });
    expect(reportError(err, debug)).toBe(1);
    expect(debug.err()).toMatch(/^deit-train: internal error: TypeError: x\\x1b/);
    expect(debug.err()).toMatch(/\n\s+at /);
    expect(debug.err()).not.toMatch(RAW_CONTROL);
  });

  it('a file-system error (it names the path) is exit 2, not an internal error', () => {
    const io = capture({});
    const err = Object.assign(new Error(`EFBIG: file too large, write '${f('x')}'`), { code: 'EFBIG', syscall: 'write' });
    expect(reportError(err, io)).toBe(2);
    expect(io.err()).toBe(`deit-train: EFBIG: file too large, write '${f('x')}'\n`);
  });
});
