import { describe, expect, it } from 'vitest';
import { Progress, formatDuration } from './progress.js';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, write: (c: string) => chunks.push(c) } };
}

/** A clock that advances 0.5 s per reading. */
function clock(): () => number {
  let t = 0;
  return () => {
    t += 500;
    return t;
  };
}

describe('Progress', () => {
  it('on a TTY rewrites one line with \\r: bar, ETA, images/s, running loss and LR', () => {
    const { chunks, stream } = sink(true);
    const p = new Progress({ stream, now: clock() });
    p.epochStart(0, 3, 4);
    p.step({ epoch: 0, batch: 1, loss: 2, lr: 1e-3, images: 32 });
    p.step({ epoch: 0, batch: 2, loss: 1, lr: 1e-3, images: 32 });
    // second step: 1 s since the epoch start (two clock reads of 0.5 s), 64 images, 2 of 4 done → ETA 1 s
    expect(chunks).toHaveLength(2);
    expect(chunks[1]).toMatch(/^\repoch 0 \(1\/3\) \[=+\.+\] 2\/4 ETA 0:01 \| 64\.0 img\/s \| loss 1\.5000 \| lr 1\.00e-3/);
    expect(chunks.join('')).not.toContain('\n');
    p.epochEnd({ epoch: 0, trainLoss: 1.5, eval: { top1: 50, top5: 90, loss: 1.2 }, best: true });
    expect(chunks.at(-2)).toBe('\n');
    expect(chunks.at(-1)).toMatch(/^epoch 0 \(1\/3\) done in .* \| train loss 1\.5000 \| eval loss 1\.2000 top-1 50\.00% top-5 90\.00% \(best\)\n$/);
    p.end({ epochs: 1, stopped: false, best: { metric: 'eval.top1', value: 50, epoch: 0 } });
    expect(chunks.at(-1)).toMatch(/^finished after 1 epoch\(s\) in .*, 64 images .* best eval\.top1 50\.0000 at epoch 0\n$/);
  });

  it('cuts the bar line to the terminal width so \\r can rewrite it', () => {
    const chunks: string[] = [];
    const p = new Progress({ stream: { isTTY: true, columns: 40, write: (c: string) => chunks.push(c) }, now: clock() });
    p.epochStart(0, 1, 10);
    p.step({ epoch: 0, batch: 1, loss: 2, lr: 1e-3, images: 8 });
    expect(chunks[0]).toBe('\repoch 0 (1/1) [==......................');
    expect(chunks[0]!.length).toBe(1 + 39);
  });

  it('otherwise prints a plain line every N updates and at the end of the epoch', () => {
    const { chunks, stream } = sink(false);
    const p = new Progress({ stream, everySteps: 2, now: clock() });
    p.epochStart(1, 3, 5, 0);
    for (let b = 1; b <= 5; b++) p.step({ epoch: 1, batch: b, loss: 1, lr: 2e-4, images: 8 });
    const lines = chunks.join('').split('\n').filter(Boolean);
    expect(lines[0]).toBe('epoch 1 (2/3): 5 batches');
    expect(lines.slice(1).map((l) => l.match(/batch (\d)\/5/)![1])).toEqual(['2', '4', '5']);
    expect(chunks.join('')).not.toContain('\r');
  });

  it('notes print control characters escaped (a resumed path or checkpoint value cannot drive the terminal)', () => {
    const { chunks, stream } = sink(false);
    const p = new Progress({ stream, now: clock() });
    p.note('resumed from /runs/\u001b]0;pwned\u0007x\u009b2J\nsecond line');
    expect(chunks.join('')).toBe('resumed from /runs/\\x1b]0;pwned\\x07x\\x9b2J\nsecond line\n');
  });

  it('formats durations', () => {
    expect(formatDuration(5)).toBe('0:05');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(Number.NaN)).toBe('?');
  });
});
