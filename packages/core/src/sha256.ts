// SHA-256 for fingerprints (teachers, caches) in any environment: Node's native hash when the process offers it
// (`process.getBuiltinModule`, Node ≥ 20.16 — no static `node:crypto` import, so browser bundles stay clean), else
// a small JavaScript implementation (FIPS 180-4). Synchronous, unlike WebCrypto's digest, so callers stay sync.

/** An incremental SHA-256: feed strings (UTF-8) and bytes, then take the hex digest once. */
export interface Sha256 {
  /** Adds bytes (a string is hashed as its UTF-8 encoding). */
  update(data: string | Uint8Array): Sha256;
  /** The lowercase hex digest of everything added. */
  digest(): string;
}

interface NodeHash {
  update(data: string | Uint8Array): unknown;
  digest(encoding: 'hex'): string;
}
type GetBuiltin = (id: string) => { createHash(algorithm: string): NodeHash } | undefined;

/** A new SHA-256 hasher (native in Node, JavaScript elsewhere; the same digests). */
export function createSha256(): Sha256 {
  const get = (globalThis as { process?: { getBuiltinModule?: GetBuiltin } }).process?.getBuiltinModule;
  const crypto = typeof get === 'function' ? get('node:crypto') : undefined;
  if (crypto !== undefined) {
    const h = crypto.createHash('sha256');
    const native: Sha256 = {
      update: (data) => {
        h.update(data);
        return native;
      },
      digest: () => h.digest('hex'),
    };
    return native;
  }
  return new JsSha256();
}

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
  0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
  0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
  0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** The JavaScript SHA-256 (exported for its test against Node's). */
export class JsSha256 implements Sha256 {
  private readonly h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  private readonly block = new Uint8Array(64);
  private readonly w = new Uint32Array(64);
  private filled = 0;
  private length = 0;

  update(data: string | Uint8Array): Sha256 {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    this.length += bytes.byteLength;
    let at = 0;
    while (at < bytes.byteLength) {
      const n = Math.min(64 - this.filled, bytes.byteLength - at);
      this.block.set(bytes.subarray(at, at + n), this.filled);
      this.filled += n;
      at += n;
      if (this.filled === 64) {
        this.compress();
        this.filled = 0;
      }
    }
    return this;
  }

  digest(): string {
    const bits = this.length * 8;
    this.update(new Uint8Array([0x80]));
    if (this.filled > 56) this.update(new Uint8Array(64 - this.filled));
    this.update(new Uint8Array(56 - this.filled));
    const tail = new Uint8Array(8);
    const view = new DataView(tail.buffer);
    view.setUint32(0, Math.floor(bits / 2 ** 32));
    view.setUint32(4, bits >>> 0);
    this.update(tail);
    return Array.from(this.h, (v) => v.toString(16).padStart(8, '0')).join('');
  }

  private compress(): void {
    const { w, block, h } = this;
    for (let i = 0; i < 16; i++) w[i] = (block[4 * i] << 24) | (block[4 * i + 1] << 16) | (block[4 * i + 2] << 8) | block[4 * i + 3];
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15];
      const b = w[i - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (hh + S1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
  }
}
