import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { JsSha256, createSha256 } from './sha256.js';

const nodeHex = (parts: Array<string | Uint8Array>): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

describe('SHA-256', () => {
  it('matches the FIPS 180-2 test vectors', () => {
    expect(new JsSha256().update('abc').digest()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(new JsSha256().digest()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(new JsSha256().update('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq').digest()).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('agrees with node:crypto for every length around the block and padding boundaries, fed in pieces', () => {
    let seed = 7;
    const bytes = Uint8Array.from({ length: 300 }, () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 24;
    });
    for (let n = 0; n <= 200; n++) {
      const data = bytes.subarray(0, n);
      const cut = Math.floor(n / 3);
      const parts = ['salt|float32|3,4\n', data.subarray(0, cut), data.subarray(cut)];
      const js = new JsSha256();
      for (const p of parts) js.update(p);
      expect(js.digest(), `length ${n}`).toBe(nodeHex(parts));
    }
  });

  it('createSha256 gives the same digest as the JavaScript one (UTF-8 strings included)', () => {
    const parts = ['ünïcode ✓\n', new Uint8Array([0, 255, 128, 1])];
    const a = createSha256();
    const b = new JsSha256();
    for (const p of parts) {
      a.update(p);
      b.update(p);
    }
    expect(a.digest()).toBe(b.digest());
  });
});
