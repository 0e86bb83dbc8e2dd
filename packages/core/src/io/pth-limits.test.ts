import { statSync, } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../errors.js';
import type { HostTensor } from '../tensor-data.js';
import { readPth } from './pth.js';
import { readCheckpoint } from './state-dict-file.js';
import { pthOf, storage12, tensorDictPickle } from './test-files.js';
import { tempFiles } from '../test/temp-files.js';

const { write, hostile } = tempFiles('deitjs-pth-limits-');

function refusal(fn: () => unknown): CheckpointError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).cause).toBeUndefined();
    return err as CheckpointError;
  }
  throw new Error('expected a CheckpointError');
}

describe('expanded (stride-0) tensors are bounded by 4 × the file size + 16 MiB', () => {
  it('a 1-float storage expanded to 64 Mi floats (256 MB) is refused, naming the tensor and the limit', () => {
    const file = hostile('pkl-stride0-256mb.pth');
    const size = statSync(file).size;
    const e = refusal(() => readPth(file));
    expect(e.tensor).toBe('w');
    expect(e.message).toContain(
      `size [67108864] with stride [0] would materialise 268435456 bytes from a 1-element storage; tensors of a ${size}-byte checkpoint may take at most ${4 * size + 16 * 1024 * 1024} bytes in all (4 × its size + 16777216)`,
    );
  });

  it('[2^30, 4] with stride 0 (16 GB) is refused before anything is allocated', () => {
    expect(refusal(() => readPth(hostile('pkl-stride0-16gb.pth'))).message).toMatch(/size \[1073741824, 4\] with stride \[0, 0\] would materialise 17179869184 bytes/);
  });

  it('a modest expansion within the limit is materialised element by element', () => {
    const file = write('expand-ok.pth', pthOf(tensorDictPickle([['row', 2, [3, 4], [0, 1]]])));
    const t = (readPth(file) as Map<string, HostTensor>).get('row')!;
    expect(t.shape).toEqual([3, 4]);
    expect(Array.from(t.data as Float32Array)).toEqual([2, 3, 4, 5, 2, 3, 4, 5, 2, 3, 4, 5]);
  });

  it('the limit counts all copies of a file together', () => {
    // Each view copies 1 Mi floats (4 MiB) of a 1-float storage: four fit in 16 MiB + 4 × ~0.7 KB, five do not.
    const views = (n: number) => Array.from({ length: n }, (_, i) => [`v${i}`, 0, [1 << 20], [0]] as [string, number, number[], number[]]);
    expect((readPth(write('four.pth', pthOf(tensorDictPickle(views(4), 1), storage12.subarray(0, 4)))) as Map<string, unknown>).size).toBe(4);
    expect(refusal(() => readPth(write('five.pth', pthOf(tensorDictPickle(views(5), 1), storage12.subarray(0, 4))))).tensor).toBe('v4');
  });
});

describe('numbers above 2^53 and cycles in a pickle give bounded messages, not serialisation errors', () => {
  it('an offset of 2^60 (a BigInt)', () => {
    const e = refusal(() => readPth(hostile('pkl-offset-2p60.pth')));
    expect(e.tensor).toBe('torch._utils._rebuild_tensor_v2');
    expect(e.message).toMatch(/with malformed offset\/size\/stride \[1152921504606846976, \[1\], \[1\]\]/);
  });

  it('a storage count of 2^60', () => {
    expect(refusal(() => readPth(hostile('pkl-storage-count-2p60.pth'))).message).toMatch(/malformed storage id \["0", 1152921504606846976\]/);
  });

  it('a persistent id and a size list that contain themselves', () => {
    expect(refusal(() => readPth(hostile('pkl-cyclic-persistent-id.pth'))).message).toMatch(/malformed storage id \[\[<cycle>\], \[<cycle>\]\]/);
    expect(refusal(() => readPth(hostile('pkl-cyclic-size.pth'))).message).toMatch(/malformed offset\/size\/stride \[0, \[<cycle>\], \[1\]\]/);
  });

  it('a tensor name with terminal escapes is printed escaped', () => {
    const e = refusal(() => readPth(hostile('pkl-escape-name.pth')));
    expect(e.tensor).toBe('\u001b[2J\u001b]0;pwned\u0007w');
    expect(e.message).toContain('["\\x1b[2J\\x1b]0;pwned\\x07w"]: size [2, 2] with stride [2, 1] at offset 10 reaches element 13');
  });
});

describe('deep structures around tensors', () => {
  it('a tensor 100k lists deep is found without recursion', () => {
    const file = hostile('pkl-deep-list-100k.pth');
    const root = readPth(file) as Map<string, unknown>;
    let v = root.get('deep') as unknown[];
    for (let i = 1; i < 100_000; i++) v = v[0] as unknown[];
    expect((v[0] as HostTensor).shape).toEqual([12]);
    expect(refusal(() => readCheckpoint(file)).message).toMatch(/holds no tensors \(top-level keys: deep\)$/);
  });

  it('a 100k-deep key is named by a bounded excerpt', () => {
    const e = refusal(() => readCheckpoint(hostile('pkl-deep-key-100k.pth')));
    expect(e.message).toMatch(/holds no tensors \(top-level keys: \[\[\[…\]\]\]\)$/);
  });
});

describe('the torch allow-list checks own properties', () => {
  it.each(['__proto__', 'constructor', 'toString'])('torch.%s is refused, naming it', (name) => {
    const file = write(`proto-${name}.pth`, pthOf(Uint8Array.from([0x80, 0x02, 0x63, ...Buffer.from(`torch\n${name}\n`), 0x2e])));
    const e = refusal(() => readPth(file));
    expect(e.tensor).toBe(`torch.${name}`);
    expect(e.message).toMatch(/not allowed in a checkpoint/);
  });
});

