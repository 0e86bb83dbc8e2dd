// Issue 15: after initBackend('wasm'), a user's uncaught error must read and exit as plain Node's does (message,
// stack, code 1), not from inside Emscripten's rethrowing listener (its glue's source line first, code 7).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepNodeErrorExit } from './node-exit.js';

describe('keepNodeErrorExit', () => {
  it('removes the error listeners added while it ran, keeps earlier ones and returns the result', async () => {
    const earlier = () => {};
    process.on('uncaughtException', earlier);
    const added = { exception: () => {}, rejection: () => {} };
    try {
      const result = await keepNodeErrorExit(async () => {
        process.on('uncaughtException', added.exception);
        process.on('unhandledRejection', added.rejection);
        return 42;
      });
      expect(result).toBe(42);
      expect(process.listeners('uncaughtException')).toContain(earlier);
      expect(process.listeners('uncaughtException')).not.toContain(added.exception);
      expect(process.listeners('unhandledRejection')).not.toContain(added.rejection);
    } finally {
      process.removeListener('uncaughtException', earlier);
    }
  });

  it('removes them when the start fails too', async () => {
    const added = () => {};
    await expect(
      keepNodeErrorExit(async () => {
        process.on('unhandledRejection', added);
        throw new Error('start failed');
      }),
    ).rejects.toThrow('start failed');
    expect(process.listeners('unhandledRejection')).not.toContain(added);
  });
});

// Child scripts import core bundled from its sources (ESM and CommonJS builds, like the published dist), placed
// under the package's node_modules so their bare imports (@tensorflow/*) resolve as the package's do.
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const cacheDir = join(packageDir, 'node_modules', '.cache');
let dir = '';

beforeAll(async () => {
  mkdirSync(cacheDir, { recursive: true });
  dir = mkdtempSync(join(cacheDir, 'deitjs-node-exit-'));
  const esbuildName = 'esbuild';
  const esbuild = (await import(esbuildName)) as typeof import('esbuild');
  const common: import('esbuild').BuildOptions = {
    entryPoints: [join(packageDir, 'src', 'index.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    logLevel: 'silent',
    // Packages stay imports (the glue of tfjs-backend-wasm must load as in a user's project); deep file imports of
    // a package are bundled, as core's own build does.
    plugins: [{ name: 'packages-external', setup: (b) => b.onResolve({ filter: /^(@[^/]+\/)?[^./][^/]*$/ }, (a) => ({ path: a.path, external: true })) }],
  };
  await esbuild.build({ ...common, format: 'esm', outfile: join(dir, 'core.mjs') });
  await esbuild.build({ ...common, format: 'cjs', outfile: join(dir, 'core.cjs') });
});
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Writes `source` as `name` beside the core bundles and runs it with Node. */
function runScript(name: string, source: string): Promise<Exit> {
  const file = join(dir, name);
  writeFileSync(file, source);
  const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// The user's own failing function, so the stack must name it.
const USER_STEP = "function userStep() { throw new Error('user failure 4217'); }";

/** Node's own report of the user's error: the message, a stack naming the user's frame, nothing of Emscripten's glue. */
function expectNodeReport(exit: Exit, script: string): void {
  expect(exit.stdout).toBe('backend wasm\n');
  expect(exit.code).toBe(1);
  expect(exit.stderr).toContain('Error: user failure 4217');
  expect(exit.stderr).toMatch(new RegExp(`at (\\S+\\.)?userStep \\(.*${script.replace('.', '\\.')}:\\d+:\\d+\\)`));
  expect(exit.stderr).not.toMatch(/ExitStatus|tfjs-backend-wasm/);
  // Node's report is the throwing source line, its caret, the stack and the version line: a few hundred bytes.
  expect(exit.stderr.length).toBeLessThan(1500);
}

// Concurrent: each test only waits on its own child process.
describe.concurrent('a user script after initBackend("wasm")', () => {
  it('ESM: an uncaught error prints its message and stack and exits with code 1', async () => {
    const exit = await runScript(
      'throw.mjs',
      `import { initBackend } from './core.mjs';\n${USER_STEP}\nconst r = await initBackend('wasm');\nconsole.log('backend', r.backend);\nuserStep();\n`,
    );
    expectNodeReport(exit, 'throw.mjs');
  });

  it('CommonJS: an uncaught error in a later callback prints its message and stack and exits with code 1', async () => {
    const exit = await runScript(
      'throw.cjs',
      `const { initBackend } = require('./core.cjs');\n${USER_STEP}\ninitBackend('wasm').then((r) => { console.log('backend', r.backend); setImmediate(userStep); });\n`,
    );
    expectNodeReport(exit, 'throw.cjs');
  });

  it('an unhandled rejection exits with code 1 as Node 20 does', async () => {
    const exit = await runScript(
      'reject.mjs',
      `import { initBackend } from './core.mjs';\n${USER_STEP}\nconst r = await initBackend('wasm');\nconsole.log('backend', r.backend);\nvoid (async () => userStep())();\n`,
    );
    expectNodeReport(exit, 'reject.mjs');
  });

  it("keeps the user's own handler registered before initBackend", async () => {
    const exit = await runScript(
      'own-handler.cjs',
      `const { initBackend } = require('./core.cjs');\n${USER_STEP}\nprocess.on('uncaughtException', (e) => { console.error('handled:', e.message); process.exit(3); });\ninitBackend('wasm').then((r) => { console.log('backend', r.backend); setImmediate(userStep); });\n`,
    );
    expect(exit.stdout).toBe('backend wasm\n');
    expect(exit.stderr).toBe('handled: user failure 4217\n');
    expect(exit.code).toBe(3);
  });

  it('a script that does not throw computes on wasm and exits with code 0', async () => {
    const exit = await runScript(
      'ok.mjs',
      `import { initBackend, tf } from './core.mjs';\nconst r = await initBackend('wasm');\nconsole.log('backend', r.backend, tf.sum(tf.tensor1d([1, 2, 3])).dataSync()[0]);\n`,
    );
    expect(exit).toEqual({ code: 0, stdout: 'backend wasm 6\n', stderr: '' });
  });
});
