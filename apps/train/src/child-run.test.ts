import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeitError } from '@deitjs/core';
import { afterAll, describe, expect, it } from 'vitest';
import { runTrainingInChild } from './child-run.js';
import { DEFAULT_OPTIONS } from './options.js';

const dir = mkdtempSync(join(tmpdir(), 'deit-train-child-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A stand-in for the built CLI: checks the flags it is given, echoes the config back as the "result", logs progress.
const stub = join(dir, 'stub-cli.mjs');
writeFileSync(
  stub,
  `import { readFileSync } from 'node:fs';
const [flag, file, json] = process.argv.slice(2);
if (flag !== '--config' || json !== '--json') process.exit(3);
const cfg = JSON.parse(readFileSync(file, 'utf8'));
process.stderr.write('epoch 1/1\\rbatch 1\\nlast line without newline');
if (cfg.epochs === 99) process.exit(2);
process.stdout.write(JSON.stringify({ runDir: cfg.output, seconds: 1.5, echoed: cfg }) + '\\n');
`,
);

describe('runTrainingInChild', () => {
  it('passes the options as a config file, prefixes the child progress and returns its JSON result', async () => {
    let err = '';
    const io = { stdout: { write: () => true }, stderr: { write: (t: string) => (err += t) }, env: {} };
    const options = { ...DEFAULT_OPTIONS, output: dir, epochs: 3, backend: 'cpu', json: true, config: 'ignored.yaml' };
    const r = (await runTrainingInChild(stub, options, io, 'baseline')) as unknown as { runDir: string; echoed: Record<string, unknown> };
    expect(r.runDir).toBe(dir);
    expect(r.echoed.epochs).toBe(3);
    // The child's own --config/--json are not written into the file it reads.
    expect('config' in r.echoed || 'json' in r.echoed).toBe(false);
    expect(JSON.parse(readFileSync(join(dir, 'baseline.options.json'), 'utf8')).backend).toBe('cpu');
    expect(err).toBe('[baseline] epoch 1/1\n[baseline] batch 1\n[baseline] last line without newline\n');
  });

  it('clears the progress-bar line first when writing to a terminal', async () => {
    let err = '';
    const io = { stdout: { write: () => true }, stderr: { write: (t: string) => (err += t), isTTY: true }, env: {} };
    await runTrainingInChild(stub, { ...DEFAULT_OPTIONS, output: dir, backend: 'cpu' }, io, 'baseline');
    expect(err.split('\n').filter(Boolean).every((l) => l.startsWith('\r\x1b[2K[baseline] '))).toBe(true);
  });

  it('turns a failed child into a DeitError naming the stage', async () => {
    const io = { stdout: { write: () => true }, stderr: { write: () => true }, env: {} };
    await expect(runTrainingInChild(stub, { ...DEFAULT_OPTIONS, output: dir, epochs: 99, backend: 'cpu' }, io, 'baseline')).rejects.toThrow(
      new DeitError('E_CHILD', 'baseline run failed (exit code 2); its messages are above'),
    );
    await expect(runTrainingInChild(join(dir, 'missing.js'), { ...DEFAULT_OPTIONS, output: dir, backend: 'cpu' }, io, 'baseline')).rejects.toThrow(/does not exist/);
  });
});
