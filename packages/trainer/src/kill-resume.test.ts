// Issue 16: `kill -9` at 20 seeded random moments of a short run (during updates, during start-up and resume, and
// inside checkpoint writes) never leaves a checkpoint that does not load, and resuming after every kill ends with
// the weights, EMA and optimiser state of an uninterrupted run, bit for bit.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, initBackend, readSafetensors, workerScript } from '@deitjs/core';
import { RUN_FILES, readJsonLines } from '@deitjs/run';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpointState } from './checkpoint.js';
import { FAULT_RUN_EPOCHS, checkpointFiles, faultRun } from './test/fault-run.js';
import { removeTempDirs, tempDir } from './test/index.js';

afterAll(removeTempDirs);

const childScript = () => workerScript(new URL('./test/fault-child.js', import.meta.url), new URL('./test/fault-child.ts', import.meta.url), 'fault child');

/** How a child run is killed: after its n-th update of this run, after a delay from its start, or paused inside a temp-file write. */
type Kill = { after: 'step'; n: number; delayMs: number } | { after: 'start'; delayMs: number } | { after: 'pause'; at: number; phase: 'write' | 'rename' };

interface ChildEnd {
  /** How it ended: killed as planned, or finished/failed on its own first. */
  how: 'killed' | 'done' | 'error';
  lines: string[];
}

/** Runs the fault child on `dir`, SIGKILLs it as `kill` says (or lets it finish without one), and returns how it ended. */
function runChild(script: string, dir: string, kill: Kill | undefined): Promise<ChildEnd> {
  const env: Record<string, string> = { ...process.env, FAULT_STEP_MS: '15' } as Record<string, string>;
  if (kill?.after === 'pause') Object.assign(env, { FAULT_PAUSE_AT: String(kill.at), FAULT_PAUSE_PHASE: kill.phase });
  const child: ChildProcess = spawn(process.execPath, [script, dir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let killed = false;
  const killNow = (delayMs = 0) => {
    const k = () => {
      killed = true;
      child.kill('SIGKILL');
    };
    if (delayMs > 0) setTimeout(k, delayMs);
    else k();
  };
  // A start-up kill lands at a random time before the first update (module loading, backend, resume), at the latest on it.
  if (kill?.after === 'start') setTimeout(() => !killed && killNow(), kill.delayMs);
  let steps = 0;
  let pending = '';
  child.stdout!.on('data', (d: Buffer) => {
    pending += d.toString();
    const parts = pending.split('\n');
    pending = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      if (killed) continue;
      if (kill?.after === 'step' && line.startsWith('step ') && ++steps === kill.n) killNow(kill.delayMs);
      if (kill?.after === 'start' && line.startsWith('step ')) killNow();
      if (kill?.after === 'pause' && line.startsWith('pause ')) killNow();
    }
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' && killed) resolve({ how: 'killed', lines });
      else if (code === 0 && lines.includes('done')) resolve({ how: 'done', lines });
      else resolve({ how: 'error', lines: [...lines, `exit ${code} ${signal}`, stderr] });
    });
  });
}

/** Every tensor of the checkpoint-last of `dir`. */
function lastTensors(dir: string): Map<string, Float32Array> {
  const sd = readSafetensors(join(dir, RUN_FILES.last));
  return new Map([...sd].map(([k, t]) => [k, t.data as Float32Array]));
}

describe('kill -9 during training (cpu)', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('20 kills at seeded random moments: every checkpoint on disk loads; resuming ends bit-identical to an uninterrupted run', async () => {
    const reference = tempDir();
    const full = faultRun(reference);
    await full.trainer.run();
    for (const m of [full.trainer, full.s, full.t]) m.dispose();
    const want = lastTensors(reference);

    const script = fileURLToPath(await childScript());
    const dir = join(tempDir(), 'run');
    const rng = new Rng(16);
    const ends: string[] = [];
    let kills = 0;
    for (let k = 0; k < 20; k++) {
      // Every third kill inside an atomic write (before the rename, or half-written), one in six during start-up
      // and resume, the rest at a random point after a random update.
      const kill: Kill =
        k % 3 === 2
          ? { after: 'pause', at: rng.int(1, 4), phase: k % 2 === 0 ? 'rename' : 'write' }
          : k % 6 === 4
            ? { after: 'start', delayMs: rng.int(50, 1500) }
            : { after: 'step', n: rng.int(1, 3), delayMs: rng.int(0, 25) };
      const end = await runChild(script, dir, kill);
      expect(end.how, `kill ${k} ${JSON.stringify(kill)}: ${end.lines.join(' | ')}`).toBe('killed');
      kills++;
      ends.push(`${kill.after}:${end.lines.filter((l) => l.startsWith('step')).length}`);
      // Every checkpoint on disk loads completely.
      for (const file of checkpointFiles(dir)) {
        expect(() => readSafetensors(file), file).not.toThrow();
        if (/checkpoint-/.test(file)) expect(readCheckpointState(file).update, file).toBeGreaterThan(0);
      }
    }
    expect(kills).toBe(20);
    // Finish the run.
    const last = await runChild(script, dir, undefined);
    expect(last.how, last.lines.join(' | ')).toBe('done');
    const got = lastTensors(dir);
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [k, v] of want) expect(Array.from(got.get(k)!), k).toEqual(Array.from(v));
    expect(readCheckpointState(join(dir, RUN_FILES.last))).toMatchObject({ epoch: FAULT_RUN_EPOCHS, update: FAULT_RUN_EPOCHS * 6 });
    // One metrics line per epoch: none lost to a kill between the checkpoint and the line, none duplicated.
    expect((readJsonLines(join(dir, RUN_FILES.metrics)) as { epoch: number }[]).map((l) => l.epoch)).toEqual([...Array(FAULT_RUN_EPOCHS).keys()]);
    // No temp file of a killed write is left behind.
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    console.log(`kill -9 chain: ${ends.join(' ')}`);
  }, 240_000);
});
