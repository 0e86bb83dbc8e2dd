import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DeitError, writeFileAtomic } from '@deitjs/core';
import type { TrainIO } from './io.js';
import type { TrainOptions } from './options.js';
import type { TrainRunResult } from './train-run.js';

/**
 * Runs one training in a child process (`deit-train --config FILE --json`) so that two independent runs use both
 * cores: TF.js's wasm backend is single-threaded in Node. The child's progress lines go to `io.stderr` behind
 * `[label]`; its JSON result is returned.
 */
export async function runTrainingInChild(cliPath: string, options: TrainOptions, io: TrainIO, label: string): Promise<TrainRunResult> {
  if (!existsSync(cliPath)) throw new DeitError('E_CHILD', `cannot run ${label} in a child process: ${cliPath} does not exist`);
  const { config: _c, json: _j, seeds: _s, ...rest } = options;
  const configFile = join(options.output, `${label}.options.json`);
  writeFileAtomic(configFile, [`${JSON.stringify(rest, null, 2)}\n`]);
  const child = spawn(process.execPath, [cliPath, '--config', configFile, '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...io.env } });
  let out = '';
  let pending = '';
  // On a terminal this process draws a one-line progress bar with \r: clear that line before a child's line so the
  // two do not run together (the bar is redrawn at its next update).
  const lead = io.stderr.isTTY === true ? '\r\x1b[2K' : '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    pending += d;
    const lines = pending.split(/\r?\n|\r/);
    pending = lines.pop() ?? '';
    for (const l of lines) if (l.trim() !== '') io.stderr.write(`${lead}[${label}] ${l}\n`);
  });
  const code: number = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 1));
  });
  if (pending.trim() !== '') io.stderr.write(`${lead}[${label}] ${pending}\n`);
  if (code !== 0) throw new DeitError('E_CHILD', `${label} run failed (exit code ${code}); its messages are above`);
  try {
    return JSON.parse(out.trim().split('\n').at(-1) ?? '') as TrainRunResult;
  } catch {
    throw new DeitError('E_CHILD', `${label} run printed no JSON result`);
  }
}
