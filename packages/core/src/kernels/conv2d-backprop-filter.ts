import { Conv2D, type Conv2DAttrs, type Conv2DBackpropFilterAttrs, PadV2, type PadV2Attrs, Slice, Transpose } from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors.js';
import { tf } from '../tf.js';
import { kernelScope } from './kernel-scope.js';

/**
 * `Conv2DBackpropFilter` for the wasm backend, which ships without one (so training any conv net there
 * fails). The filter gradient of an NHWC conv2d, dW[i, j, c, o] = Σ_{n,y,x} xpad[n, y·s + i, x·s + j, c] · dy[n, y, x, o],
 * is computed as a *forward* convolution, which wasm runs fast (XNNPACK): with the images' channels as the batch
 * and the batch as the channels, X' = xpadᵀ `[C, Hp, Wp, N]` convolved with dy as the filter, F' = `[OH, OW, N, O]`,
 * at dilation s gives `[C, kh, kw, O]`, one transpose away from HWIO. Measured 1.5–9× faster than per-tap
 * strided slices with matMuls (the strided copies dominated those).
 */
export function makeConv2DBackpropFilter(): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const a = attrs as unknown as Conv2DBackpropFilterAttrs;
    if (a.dataFormat === 'NCHW') throw new ShapeError('dataFormat', 'the wasm Conv2DBackpropFilter supports NHWC only');
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      a.filterShape,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
      false,
      'channelsLast',
    );
    const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, inChannels: cin, outChannels: cout } = info;
    const { top, bottom, left, right } = info.padInfo;
    const { run, keep, dispose } = kernelScope(backend);
    try {
      const pad: PadV2Attrs = { paddings: [[0, 0], [top, bottom], [left, right], [0, 0]], constantValue: 0 };
      const padded = top + bottom + left + right > 0 ? keep(run(PadV2, { x }, pad)) : x;
      const xT = keep(run(Transpose, { x: padded }, { perm: [3, 1, 2, 0] }));
      const dyT = keep(run(Transpose, { x: dy }, { perm: [1, 2, 0, 3] }));
      const dilated: Conv2DAttrs = { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [sh, sw], dimRoundingMode: undefined };
      const conv = keep(run(Conv2D, { x: xT, filter: dyT }, dilated));
      // Padding beyond what the last output row/column used (e.g. 'same' on odd sizes) leaves extra rows: drop them.
      const exact = conv.shape[1] === kh && conv.shape[2] === kw;
      const cropped = exact ? conv : keep(run(Slice, { x: conv }, { begin: [0, 0, 0, 0], size: [cin, kh, kw, cout] }));
      return run(Transpose, { x: cropped }, { perm: [1, 2, 0, 3] });
    } finally {
      dispose();
    }
  };
}
