import type { tf } from '../tf.js';

/** The reference counting of tfjs-backend-wasm's data, shared by tensors that hold the same values. */
interface RefCounting {
  incRef(dataId: tf.DataId): void;
}

function share(backend: unknown, x: tf.TensorInfo, dtype: tf.DataType = x.dtype): tf.TensorInfo {
  (backend as RefCounting).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype };
}

/**
 * `Identity` (`tf.clone`, and many gradients) for the wasm backend sharing the input's data, as the cpu
 * backend does: tensor data is immutable in tfjs, so a copy buys nothing. tfjs's wasm Identity copies;
 * a DeiT training step makes ~1,000 such copies of activations (time, and a larger peak heap).
 */
export function makeIdentity(_mod: unknown, original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    return x.dtype === 'string' ? original(args) : share(args.backend, x);
  };
}

/** `Cast` for the wasm backend: a cast to the same dtype shares the data; real conversions keep tfjs's kernel. */
export function makeCast(_mod: unknown, original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { dtype } = args.attrs as unknown as { dtype: tf.DataType };
    return dtype === x.dtype && dtype !== 'string' ? share(args.backend, x) : original(args);
  };
}
