// A child process of the fault tests (bundled from sources by core's workerScript, run with node): trains
// `faultRun(argv[2])` on the cpu backend and reports on stdout, one line each, `ready`, `step <update>`, `done`
// or `error <message>`. FAULT_PAUSE_AT=<n> pauses inside the n-th write of a temp file (FAULT_PAUSE_PHASE=write:
// after its first chunk; rename: complete, before the rename) after printing `pause <file>`, so the parent can
// kill it there. FAULT_STEP_MS slows each update so a random kill lands at a random point of the run.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { DeitError, initBackend } from '@deitjs/core';
import { faultRun } from './fault-run.js';

const say = (line: string): void => {
  // Synchronous, so the line is out before a pause or a kill.
  fs.writeSync(1, `${line}\n`);
};
const sleep = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

const pauseAt = Number(process.env.FAULT_PAUSE_AT ?? 0);
const phase = process.env.FAULT_PAUSE_PHASE === 'rename' ? 'rename' : 'write';
const stepMs = Number(process.env.FAULT_STEP_MS ?? 0);

if (pauseAt > 0) {
  // Every atomic write goes through these (core's writeFileAtomic): count the temp files, pause in the chosen one.
  const tempFds = new Map<number, string>();
  let temps = 0;
  const { openSync, writeSync, renameSync } = fs;
  const pause = (file: string): void => {
    say(`pause ${file}`);
    sleep(60_000);
  };
  fs.openSync = ((path: fs.PathLike, ...rest: unknown[]) => {
    const fd = (openSync as (...a: unknown[]) => number)(path, ...rest);
    if (String(path).endsWith('.tmp')) {
      temps++;
      tempFds.set(fd, String(path));
    }
    return fd;
  }) as typeof fs.openSync;
  fs.writeSync = ((fd: number, ...rest: unknown[]) => {
    const n = (writeSync as (...a: unknown[]) => number)(fd, ...rest);
    if (phase === 'write' && temps === pauseAt && tempFds.has(fd)) pause(tempFds.get(fd)!);
    return n;
  }) as typeof fs.writeSync;
  fs.renameSync = ((from: fs.PathLike, to: fs.PathLike) => {
    if (phase === 'rename' && temps === pauseAt && String(from).endsWith('.tmp')) pause(String(to));
    renameSync(from, to);
  }) as typeof fs.renameSync;
  syncBuiltinESMExports();
}

try {
  await initBackend('cpu');
  const run = faultRun(process.argv[2]!, {
    hooks: {
      onStep: (i) => {
        say(`step ${i.update}`);
        if (stepMs > 0) sleep(stepMs);
      },
    },
  });
  say('ready');
  await run.trainer.run();
  say('done');
} catch (err) {
  say(`error ${err instanceof DeitError ? 'typed' : 'raw'} ${(err as Error).message.replace(/\n/g, ' ')}`);
  process.exitCode = 3;
}
