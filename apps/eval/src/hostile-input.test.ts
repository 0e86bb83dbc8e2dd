// Issue 16: hostile input files through the CLI. Every malformed input gives exit 2 and one stderr line naming the
// file; nothing the file controls reaches the terminal as a raw control character; no stack trace without DEIT_DEBUG.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type StateDict, writeSafetensors } from '@deitjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command } from './command.js';
import { COMMANDS, main } from './main.js';
import { captureIO } from './test/io.js';

const dir = mkdtempSync(join(tmpdir(), 'deit-eval-hostile-'));
const ESC = '\u001b';
// Clears the screen and retitles the terminal when printed raw.
const NASTY = `${ESC}[2J${ESC}]0;pwned\u0007\u009b31m\u202e`;
const f = (name: string) => join(dir, name);
let holdFifo: ChildProcess | undefined;

async function run(argv: string[], env: Record<string, string | undefined> = {}) {
  const io = captureIO(env);
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
}

/** No raw C0/C1 control character besides the line feed. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

function tensors(names: string[]): StateDict {
  return new Map(names.map((n, i) => [n, { dtype: 'F32' as const, shape: [2], data: new Float32Array([i, i + 1]) }]));
}

beforeAll(() => {
  writeSafetensors(f('good.safetensors'), tensors(['a.weight', 'b.bias']));
  const good = readFileSync(f('good.safetensors'));
  writeFileSync(f('truncated.safetensors'), good.subarray(0, good.length - 5));
  writeFileSync(f('header-cut.safetensors'), good.subarray(0, 20));
  writeFileSync(f('empty.safetensors'), new Uint8Array(0));
  writeSafetensors(f('escape-names.safetensors'), tensors([`x${NASTY}y`, 'plain']), { [`k${NASTY}`]: `v${NASTY}` });
  // A pickle that stops in the middle of an opcode, as a legacy .pth (its magic number is a pickled LONG1).
  writeFileSync(f('bad-pickle.pth'), Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e, 0x80, 0x02, 0x7d, 0x71]));
  // A zip .pth whose data.pkl is garbage.
  writeFileSync(f('bad-zip.pth'), Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(60, 0xff)]));
  mkdirSync(f('a-directory.safetensors'));
  execFileSync('mkfifo', [f('fifo.safetensors')]);
  // If a reader blocked on the FIFO, this writer would unblock it after 20 s: the test then fails on time, not by hanging.
  holdFifo = spawn('sh', ['-c', `sleep 20; : > '${f('fifo.safetensors')}'`], { stdio: 'ignore' });
  writeFileSync(f(`name${NASTY}.safetensors`), good);
});

afterAll(() => {
  holdFifo?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('deit-eval on hostile files', () => {
  const cases: [string, RegExp][] = [
    ['truncated.safetensors', /truncated|shorter|beyond|end of file|bytes/i],
    ['header-cut.safetensors', /header|truncated|bytes/i],
    ['empty.safetensors', /empty|bytes|short|format/i],
    ['bad-pickle.pth', /pickle|truncated|end/i],
    ['bad-zip.pth', /zip|archive|central|truncated|format/i],
    ['a-directory.safetensors', /directory/],
    ['fifo.safetensors', /FIFO/],
    [`missing${NASTY}.safetensors`, /cannot open|no such file/i],
  ];
  for (const command of [['inspect'], ['inspect', '--json']]) {
    it.each(cases)(`${command.join(' ')} %j → exit 2, one escaped line naming the file`, async (name, why) => {
      const t0 = performance.now();
      const r = await run([...command, f(name)]);
      expect(performance.now() - t0).toBeLessThan(10_000);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err.endsWith('\n')).toBe(true);
      const lines = r.err.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]!.startsWith(`deit-eval: ${dir}`)).toBe(true);
      // The file named, with its control characters escaped.
      expect(lines[0]).toContain(`${name.replace(NASTY, '\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m\\u202e')}`);
      expect(lines[0]).toMatch(why);
      expect(r.err).not.toMatch(RAW_CONTROL);
      expect(r.err).not.toMatch(/\n\s+at /);
    });
  }

  it('the same weights file given to a computing command: exit 2, the file named', async () => {
    for (const name of ['truncated.safetensors', 'a-directory.safetensors', 'fifo.safetensors', 'bad-pickle.pth']) {
      const r = await run(['accuracy', '--model', 'deit_micro_patch4_32', '--weights', f(name), '--data', 'mnist'], { DEIT_BACKEND: 'cpu' });
      expect(r.code, name).toBe(2);
      const errors = r.err.split('\n').filter((l) => l !== '' && !/^deit-eval: (backend|warning)/.test(l));
      expect(errors, name).toHaveLength(1);
      expect(errors[0], name).toContain(f(name));
      expect(r.err).not.toMatch(RAW_CONTROL);
    }
  });

  it('predict --images on a FIFO, a directory or a corrupt image: exit 2, the image named, no hang', async () => {
    const weights = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'fixtures', 'deit_micro_patch4_32.safetensors');
    for (const name of ['fifo.safetensors', 'a-directory.safetensors', 'truncated.safetensors']) {
      const t0 = performance.now();
      const r = await run(['predict', '--model', 'deit_micro_patch4_32', '--weights', weights, '--images', f(name)], { DEIT_BACKEND: 'cpu' });
      expect(performance.now() - t0, name).toBeLessThan(15_000);
      expect(r.code, name).toBe(2);
      const errors = r.err.split('\n').filter((l) => l !== '' && !/^deit-eval: (backend|warning)/.test(l));
      expect(errors, name).toEqual([expect.stringMatching(new RegExp(`^deit-eval: ${f(name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot decode image`))]);
    }
  });

  it('predict --labels on a FIFO: exit 2 naming --labels and the file, no hang', async () => {
    const weights = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'fixtures', 'deit_micro_patch4_32.safetensors');
    const t0 = performance.now();
    const r = await run(['predict', '--model', 'deit_micro_patch4_32', '--weights', weights, '--images', f('truncated.safetensors'), '--labels', f('fifo.safetensors')], {
      DEIT_BACKEND: 'cpu',
    });
    expect(performance.now() - t0).toBeLessThan(15_000);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`--labels: ${f('fifo.safetensors')}: is not a regular file`);
  });

  it('inspect of tensors and metadata named with escape sequences prints them escaped (text and JSON)', async () => {
    const text = await run(['inspect', f('escape-names.safetensors')]);
    expect(text.code).toBe(0);
    expect(text.out).not.toMatch(RAW_CONTROL);
    expect(text.out).toContain('x\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m\\u202ey');
    expect(text.out).toContain('metadata k\\x1b[2J');
    // The columns stay aligned: the dtype column starts at the same offset on every row.
    const rows = text.out.split('\n').filter((l) => / float32 | F32 /.test(l) || l.startsWith('name'));
    expect(new Set(rows.map((l) => l.indexOf(l.startsWith('name') ? 'dtype' : 'F')))).toHaveProperty('size', 1);

    const json = await run(['inspect', '--json', f('escape-names.safetensors')]);
    expect(json.code).toBe(0);
    expect(json.out).not.toMatch(RAW_CONTROL);
    // Still JSON, and it decodes to the real names.
    const report = JSON.parse(json.out) as { tensors: { name: string }[]; metadata: Record<string, string> };
    expect(report.tensors.map((t) => t.name)).toContain(`x${NASTY}y`);
    expect(report.metadata[`k${NASTY}`]).toBe(`v${NASTY}`);
  });

  it('a file whose own name holds escape sequences is listed with the name escaped', async () => {
    const r = await run(['inspect', f(`name${NASTY}.safetensors`)]);
    expect(r.code).toBe(0);
    expect(r.out).not.toMatch(RAW_CONTROL);
    expect(r.out).toContain('name\\x1b[2J');
  });
});

describe('deit-eval internal errors', () => {
  const boom: Command = {
    name: 'boom',
    summary: '',
    usage: '',
    run: () => {
      throw new RangeError(`bad${NASTY}\nthing`);
    },
  };
  beforeAll(() => (COMMANDS as Map<string, Command>).set(boom.name, boom));
  afterAll(() => (COMMANDS as Map<string, Command>).delete(boom.name));

  it('exit 1, one escaped line with a hint to set DEIT_DEBUG, no stack trace', async () => {
    const r = await run(['boom']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('deit-eval: internal error: RangeError: bad\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m\\u202e thing (set DEIT_DEBUG=1 for the stack trace)\n');
  });

  it('DEIT_DEBUG adds the stack trace (escaped)', async () => {
    const r = await run(['boom'], { DEIT_DEBUG: '1' });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^deit-eval: internal error: RangeError: bad/);
    expect(r.err).toMatch(/\n\s+at /);
    expect(r.err).not.toMatch(RAW_CONTROL);
  });
});
