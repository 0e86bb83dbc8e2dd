import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCheckpointState } from '@deitjs/trainer';
import { afterAll, describe, expect, it } from 'vitest';
import type { TrainIO } from './io.js';
import { main } from './main.js';

const dir = mkdtempSync(join(tmpdir(), 'deit-train-resume-deit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fixture = fileURLToPath(new URL('../../../fixtures/deit_micro_distilled_patch4_32.train_checkpoint.pth', import.meta.url));

describe('deit-train --resume checkpoint.pth (deit main.py)', () => {
  it("continues the fixture's deit run at its next epoch, saying what it took and what it could not", async () => {
    let err = '';
    const io: TrainIO = { stdout: { write: () => true }, stderr: { write: (t: string) => (err += t) }, env: { DEIT_BACKEND: 'cpu' } };
    const pth = join(dir, 'checkpoint.pth');
    copyFileSync(fixture, pth);
    const out = join(dir, 'continued');
    // The fixture's deit run fed MNIST as three channels.
    const args = ['--data', 'mnist', '--in-chans', '3', '--train-per-class', '2', '--test-per-class', '1', '--batch-size', '10', '--input-size', '32'];
    const flags = ['--model', 'deit_micro_distilled_patch4_32', '--distillation-type', 'none', '--aa', 'none', '--reprob', '0', '--mixup', '0', '--cutmix', '0'];
    const code = await main([...args, ...flags, '--epochs', '5', '--resume', pth, '--output', out], io);
    expect(code, err).toBe(0);
    // The fixture was saved after epoch 3 (0-based): the run continues with epoch 4, the last of 5, the number metrics.jsonl holds.
    expect(err).toMatch(/resumed from .*checkpoint\.pth at epoch 4, batch 0/);
    expect(err).toMatch(/deit checkpoint: took model weights, AdamW state of 35 parameters, position \(continuing at epoch 4\)/);
    expect(err).toMatch(/^epoch 4 \(5\/5\) done in /m);
    // The default 5 warmup epochs cover this 5-epoch run: deit-train says so.
    expect(err).toMatch(/^warning: warmupEpochs 5 covers all 5 epoch\(s\) of the run: every update is in the linear warmup/m);
    expect(err).toMatch(/cosine length \(t_initial\) 300 vs 5/);
    expect(err).toMatch(/not carried over: the random generator state and the data order/);
    const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { epoch: number });
    expect(metrics.map((m) => m.epoch)).toEqual([4]);
    const state = readCheckpointState(join(out, 'checkpoint-last.safetensors'));
    expect(state.epoch).toBe(5);
  });
});
