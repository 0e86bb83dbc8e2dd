// Helpers shared by this package's tests (not exported from the package).
import { fileURLToPath } from 'node:url';
import { type HostTensor, type StateDict, nchwToNhwc, readSafetensors, tf, toFloat32 } from '@deitjs/core';

/** Absolute path of a file in the repo's `fixtures/` folder. */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../../../fixtures/${name}`, import.meta.url));
}

/** Reads a fixture safetensors file. */
export function readFixture(name: string): StateDict {
  return readSafetensors(fixturePath(name));
}

/** A fixture NCHW tensor as NHWC float32 data (images and feature maps); others unchanged. */
export function toNhwcData(t: HostTensor): Float32Array {
  const data = toFloat32(t);
  return t.shape.length === 4 ? nchwToNhwc(data, t.shape).data : data;
}

/** The fixture's NCHW `inputs` as an NHWC tensor. */
export function fixtureInputs(io: StateDict): tf.Tensor4D {
  const t = io.get('inputs')!;
  const [n, c, h, w] = t.shape as [number, number, number, number];
  return tf.tensor4d(toNhwcData(t), [n, h, w, c]);
}
