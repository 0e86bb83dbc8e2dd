// Issue 16: a file-size limit (`ulimit -f`, as a full disk: write() fails with EFBIG) hit while a checkpoint is
// written gives a typed error naming the checkpoint; the previous checkpoint stays whole and the run resumes from it
// to the weights of an uninterrupted run.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, readSafetensors, workerScript } from '@deitjs/core';
import { RUN_FILES } from '@deitjs/run';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpointState } from './checkpoint.js';
import { RunFileError } from './run-directory.js';
import { faultRun } from './test/fault-run.js';
import { removeTempDirs, tempDir } from './test/index.js';

afterAll(removeTempDirs);

const childScript = async () =>
  fileURLToPath(await workerScript(new URL('./test/fault-child.js', import.meta.url), new URL('./test/fault-child.ts', import.meta.url), 'fault child'));

/** Runs the fault child on `dir` under `ulimit -f kb` (none when undefined); returns its exit code and stdout lines. */
function runLimited(script: string, dir: string, kb: number | undefined): { code: number; lines: string[] } {
  const limit = kb === undefined ? '' : `ulimit -f ${kb} && `;
  try {
    // bash counts -f in 1024-byte blocks; node ignores SIGXFSZ, so an oversized write() fails with EFBIG.
    const out = execFileSync('bash', ['-c', `${limit}exec "$0" "$1" "$2"`, process.execPath, script, dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, lines: out.trim().split('\n') };
  } catch (err) {
    const e = err as { status: number; stdout: string };
    return { code: e.status, lines: e.stdout.trim().split('\n') };
  }
}

describe('file-size limit during a checkpoint write (cpu)', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('EFBIG → a typed error naming checkpoint-last; the previous checkpoint intact; resuming without the limit ends as an uninterrupted run', async () => {
    const reference = tempDir();
    const full = faultRun(reference);
    await full.trainer.run();
    for (const m of [full.trainer, full.s, full.t]) m.dispose();

    // A run stopped after update 4: its checkpoint-last is the one that must survive.
    const dir = tempDir();
    const first = faultRun(dir, { hooks: { onStep: (i) => (i.update === 4 ? first.trainer.stop() : undefined) } });
    await first.trainer.run();
    for (const m of [first.trainer, first.s, first.t]) m.dispose();
    const last = join(dir, RUN_FILES.last);
    const before = readFileSync(last);
    const checkpointBytes = statSync(last).size;
    expect(checkpointBytes).toBeGreaterThan(8 * 1024);
    expect(readCheckpointState(last).update).toBe(4);

    // Half a checkpoint fits, a whole one does not: the next save (update 6) fails.
    const script = await childScript();
    const limited = runLimited(script, dir, Math.floor(checkpointBytes / 2 / 1024));
    expect(limited.code).toBe(3);
    const error = limited.lines.find((l) => l.startsWith('error '));
    expect(error).toMatch(/^error typed /);
    expect(error).toContain(last);
    expect(error).toMatch(/EFBIG|too large/i);
    console.log(`ulimit -f ${Math.floor(checkpointBytes / 2 / 1024)} (checkpoint ${checkpointBytes} bytes): ${error}`);
    expect(limited.lines).toContain('step 6');
    // The previous checkpoint: the same bytes, loadable; no temp file left.
    expect(readFileSync(last).equals(before)).toBe(true);
    expect(readCheckpointState(last).update).toBe(4);
    expect(() => readSafetensors(last)).not.toThrow();
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const resumed = runLimited(script, dir, undefined);
    expect(resumed.code, resumed.lines.join(' | ')).toBe(0);
    const want = readSafetensors(join(reference, RUN_FILES.last));
    const got = readSafetensors(last);
    for (const [k, t] of want) expect(Array.from(got.get(k)!.data as Float32Array), k).toEqual(Array.from(t.data as Float32Array));
  }, 120_000);
});

describe('run-directory write failures (cpu)', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('metrics.jsonl that cannot be written → a RunFileError naming it', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, RUN_FILES.metrics));
    const run = faultRun(dir, { epochs: 1 });
    await expect(run.trainer.run()).rejects.toSatisfy((e: unknown) => e instanceof RunFileError && e.file === join(dir, RUN_FILES.metrics) && /write failed/.test(e.message));
    for (const m of [run.trainer, run.s, run.t]) m.dispose();
    // The checkpoint written before the metrics line is whole.
    expect(readCheckpointState(join(dir, RUN_FILES.last)).epoch).toBe(1);
  });
});
