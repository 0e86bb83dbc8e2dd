import { createSha256, type tf } from '@deitjs/core';

/**
 * SHA-256 (hex) of named tensors: names, shapes, dtypes and values, in the given order. Two models with the
 * same weights under the same names hash equal; any changed value, shape or name changes the hash. `salt`
 * folds in anything else the outputs depend on (e.g. the input normalisation).
 */
export function hashNamedTensors(named: Iterable<[string, tf.Tensor]>, salt = ''): string {
  const h = createSha256();
  h.update(`${salt}\n`);
  for (const [name, t] of named) {
    h.update(`${name}|${t.dtype}|${t.shape.join(',')}\n`);
    const data = t.dataSync();
    h.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return h.digest();
}
