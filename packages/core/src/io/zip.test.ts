
import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../errors.js';
import { withCheckpointFile } from './open-file.js';
import { readPth } from './pth.js';
import { centralEntryAt, pthOf, storage12, tensorDictPickle, zipArchive } from './test-files.js';
import { readZipDirectory } from './zip.js';
import { tempFiles } from '../test/temp-files.js';

const { write, hostile } = tempFiles('deitjs-zip-');

function refusal(file: string): CheckpointError {
  try {
    readPth(file);
  } catch (err) {
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as CheckpointError).file).toBe(file);
    expect((err as Error).cause).toBeUndefined(); // refused on purpose, not a wrapped internal error
    return err as CheckpointError;
  }
  throw new Error(`${file} was read`);
}

describe('zip directory: sizes the file cannot back are refused before anything is allocated', () => {
  it('a stored entry whose size differs from its compressed size (0xfffffffe: 4 GB)', () => {
    expect(refusal(hostile('zip-size-fffffffe.pth')).message).toMatch(/stored entry "a\/data.pkl" claims 4294967294 bytes but occupies \d+/);
  });

  it('an entry larger than the whole file', () => {
    expect(refusal(hostile('zip-both-sizes-fffffffe.pth')).message).toMatch(/entry "a\/data.pkl" \(4294967294 bytes at byte 0\) lies outside the \d+-byte file/);
  });

  it('a central directory beyond the end of the file', () => {
    expect(refusal(hostile('zip-cd-offset-ffffffff.pth')).message).toMatch(/central directory \[4294967295, \d+\) runs past the end/);
  });

  it('the directory lists each entry with the bound of the next one', () => {
    const file = write('three.pth', zipArchive([['a/data.pkl', new Uint8Array(5)], ['a/data/0', new Uint8Array(7)], ['a/version', new Uint8Array(2)]]));
    const entries = withCheckpointFile(file, (fd, size) => readZipDirectory(file, fd, size));
    expect(entries.map((e) => [e.name, e.localHeaderOffset, e.size, e.end])).toEqual([
      ['a/data.pkl', 0, 5, 45],
      ['a/data/0', 45, 7, 90],
      ['a/version', 90, 2, 131], // the central directory starts after 90 + 30 + 9 + 2
    ]);
  });
});

describe('zip entries never read into each other', () => {
  it('a storage entry whose sizes were inflated to run into the next entry', () => {
    expect(refusal(hostile('zip-storage-into-next-entry.pth')).message).toMatch(/entry "a\/data\/0" ends at byte \d+, past the start of the next entry at byte \d+/);
  });

  it('two names sharing one local header', () => {
    expect(refusal(hostile('zip-shared-local-header.pth')).message).toMatch(/entries "a\/data.pkl" and "a\/data\/0" share the local header at byte 0/);
  });

  it('an honest archive with the same entries still reads', () => {
    const file = write('honest.pth', pthOf(tensorDictPickle([['w', 0, [3, 4], [4, 1]]]), storage12));
    expect(((readPth(file) as Map<string, { shape: number[] }>).get('w'))!.shape).toEqual([3, 4]);
  });
});

describe('ZIP64 extra fields are read only within their declared length', () => {
  it('a field declaring fewer bytes than the saturated values need', () => {
    expect(refusal(hostile('zip64-extra-field-short.pth')).message).toMatch(/ZIP64 extra field of "a\/data.pkl" \(4 bytes\) lacks its size/);
  });

  it('a field whose length runs past the entry', () => {
    expect(refusal(hostile('zip64-extra-field-past-entry.pth')).message).toMatch(/an extra field of "a\/data\/0" runs past its entry/);
  });

  it('the field at the very end of the central directory (a DataView would throw RangeError)', () => {
    const b = zipArchive([['a/data.pkl', tensorDictPickle([['w', 0, [12], [1]]])]], true);
    const extra = centralEntryAt(b, 0) + 46 + 'a/data.pkl'.length;
    b.writeUInt16LE(8, extra + 2); // 8 of 24 bytes: the size only, then nothing for the compressed size
    expect(refusal(write('z64-end.pth', b)).message).toMatch(/lacks its compressed size/);
  });
});
