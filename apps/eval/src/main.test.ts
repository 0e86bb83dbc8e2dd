import { describe, expect, it } from 'vitest';
import { tf } from '@deitjs/core';
import { type Command, useBackend } from './command.js';
import { COMMANDS, main } from './main.js';
import { captureIO } from './test/io.js';

/** Runs main and returns exit code and output. */
async function run(argv: string[], env: Record<string, string | undefined> = {}) {
  const io = captureIO(env);
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
}

/** A throwaway command that echoes what main parsed for it. */
const echo: Command = {
  name: 'echo-args',
  summary: 'test only',
  usage: 'Usage: deit-eval echo-args [--times N]',
  options: { times: { type: 'string' } },
  run(args, io) {
    io.stdout.write(JSON.stringify(args));
    return 0;
  },
};

describe('deit-eval main', () => {
  it('registers inspect', () => {
    expect([...COMMANDS.keys()]).toContain('inspect');
  });

  it('--help lists the commands and global options on stdout, exit 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: deit-eval <command>/);
    expect(r.out).toMatch(/\ninspect +List a checkpoint/);
    expect(r.out).toContain('--backend auto|tensorflow|wasm|cpu');
    expect(r.err).toBe('');
  });

  it('a command --help prints its usage', async () => {
    const r = await run(['inspect', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: deit-eval inspect FILE/);
  });

  it('no command: usage on stderr, exit 2', async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^Usage: deit-eval/);
  });

  it.each([
    [['frobnicate'], /^deit-eval: unknown command "frobnicate" \(commands: .*inspect/],
    [['inspect', '--frob', 'x'], /^deit-eval: Unknown option '--frob'$/],
    [['--backend', 'gpu', 'inspect', 'x'], /^deit-eval: --backend: unknown backend "gpu"/],
    [['inspect', '--backend'], /^deit-eval: Option '--backend <value>' argument missing$/],
    [['inspect'], /^deit-eval: FILE: inspect takes exactly one checkpoint file \(got 0\)$/],
    [['inspect', '/no/such/file.safetensors'], /^deit-eval: \/no\/such\/file\.safetensors: cannot open/],
  ])('%j → exactly one error line on stderr, exit 2', async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.endsWith('\n')).toBe(true);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err.trimEnd()).toMatch(message);
  });

  it('takes --backend from DEIT_BACKEND, validates it, and lets the flag override it', async () => {
    (COMMANDS as Map<string, Command>).set(echo.name, echo);
    try {
      const fromEnv = await run(['echo-args', 'a', '--times', '3', '--json'], { DEIT_BACKEND: 'cpu' });
      expect(fromEnv.code).toBe(0);
      expect(JSON.parse(fromEnv.out)).toEqual({ positionals: ['a'], values: { times: '3' }, backend: 'cpu', json: true });
      const flag = await run(['--backend=wasm', 'echo-args'], { DEIT_BACKEND: 'cpu' });
      expect(JSON.parse(flag.out)).toMatchObject({ backend: 'wasm', json: false, positionals: [] });
      const dflt = await run(['--backend', 'cpu', 'echo-args']);
      expect(JSON.parse(dflt.out)).toMatchObject({ backend: 'cpu' });
      expect(JSON.parse((await run(['echo-args'])).out)).toMatchObject({ backend: 'auto' });
      const bad = await run(['echo-args'], { DEIT_BACKEND: 'tpu' });
      expect(bad.code).toBe(2);
      expect(bad.err).toMatch(/^deit-eval: DEIT_BACKEND: unknown backend "tpu"/);
    } finally {
      (COMMANDS as Map<string, Command>).delete(echo.name);
    }
  });

  it('useBackend initialises the chosen backend for computing commands and says which on stderr', async () => {
    const compute: Command = {
      name: 'compute',
      summary: '',
      usage: '',
      async run(args, io) {
        const report = await useBackend(args, io);
        const y = tf.tidy(() => tf.sum(tf.tensor1d([1, 2, 3])).dataSync()[0]!);
        io.stdout.write(`${report.backend} ${y}`);
        return 0;
      },
    };
    (COMMANDS as Map<string, Command>).set(compute.name, compute);
    try {
      const r = await run(['compute'], { DEIT_BACKEND: 'cpu' });
      expect(r.code).toBe(0);
      expect(r.out).toBe('cpu 6');
      expect(r.err).toBe('deit-eval: backend cpu\n');
      expect(tf.getBackend()).toBe('cpu');
    } finally {
      (COMMANDS as Map<string, Command>).delete(compute.name);
    }
  });

  it('an unexpected failure is one line and exit 1', async () => {
    const boom: Command = { name: 'boom', summary: '', usage: '', run: () => { throw new Error('bad\nthing'); } };
    (COMMANDS as Map<string, Command>).set(boom.name, boom);
    try {
      const r = await run(['boom']);
      expect(r.code).toBe(1);
      expect(r.err).toBe('deit-eval: internal error: bad thing (set DEIT_DEBUG=1 for the stack trace)\n');
    } finally {
      (COMMANDS as Map<string, Command>).delete(boom.name);
    }
  });
});
