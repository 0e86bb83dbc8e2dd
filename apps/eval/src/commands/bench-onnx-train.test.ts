import { initBackend } from '@deitjs/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { captureIO } from '../test/io.js';
import type { BenchReport } from './bench.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO({});
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

const BASE = ['bench', '--backend', 'cpu', '--model', 'deit_micro_distilled_patch4_32', '--engine', 'onnx', '--phases', 'train', '--batch-size', '4', '--steps', '3'];

describe('deit-eval bench --engine onnx --phases train', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('times the training step on ONNX Runtime with tf.memory() flat', async () => {
    const r = await cli([...BASE, '--json']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as BenchReport;
    expect(report).toMatchObject({ engine: 'onnx', inference: null, dataParallel: 1 });
    expect(report.train!.stepsMs).toHaveLength(3);
    expect(report.tensors.growthPerStep).toBe(0);
    expect(report.tensors.after).toBe(report.tensors.before);
  });

  it('refuses --data-parallel above 1 (exit 2 naming the flag)', async () => {
    const r = await cli([...BASE, '--data-parallel', '2']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--data-parallel.*onnx engine/);
  });
});
