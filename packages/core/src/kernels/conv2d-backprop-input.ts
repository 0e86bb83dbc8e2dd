import {
  Conv2D,
  type Conv2DAttrs,
  type Conv2DBackpropInputAttrs,
  PadV2,
  type PadV2Attrs,
  Reshape,
  Slice,
  StridedSlice,
  type StridedSliceAttrs,
  Transpose,
} from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors.js';
import { tf } from '../tf.js';
import { kernelScope } from './kernel-scope.js';

/** Zero padding of a rank-4 tensor, `[before, after]` per axis. */
function zeroPad(paddings: Array<[number, number]>): PadV2Attrs {
  return { paddings, constantValue: 0 };
}

/**
 * `Conv2DBackpropInput` for the wasm backend as a forward convolution (tfjs's wasm kernel is a plain loop,
 * ~10× slower than its forward conv): dy with s−1 zeros inserted between rows and columns, padded by
 * k−1−pad, convolved at stride 1 with the filter rotated by 180° and its in/out channels swapped.
 */
export function makeConv2DBackpropInput(): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const a = attrs as unknown as Conv2DBackpropInputAttrs;
    if (a.dataFormat === 'NCHW') throw new ShapeError('dataFormat', 'the wasm Conv2DBackpropInput supports NHWC only');
    const info = tf.backend_util.computeConv2DInfo(a.inputShape, filter.shape as [number, number, number, number], a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
    const { batchSize: n, inHeight: h, inWidth: w, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
    const { filterHeight: kh, filterWidth: kw, inChannels: cin, outChannels: cout } = info;
    const { top, left } = info.padInfo;
    const { run, keep, dispose } = kernelScope(backend);
    try {
      // Zero insertion, one spatial axis at a time with rank-4 pads: [N·OH, OW, 1, O] → pad → [N, OH, OW·s, O], etc.
      let d = dy;
      if (sw > 1) {
        const r = keep(run(Reshape, { x: d }, { shape: [n * oh, ow, 1, cout] }));
        const p = keep(run(PadV2, { x: r }, zeroPad([[0, 0], [0, 0], [0, sw - 1], [0, 0]])));
        d = keep(run(Reshape, { x: p }, { shape: [n, oh, ow * sw, cout] }));
      }
      const dw = sw > 1 ? ow * sw : ow;
      if (sh > 1) {
        const r = keep(run(Reshape, { x: d }, { shape: [n, oh, 1, dw * cout] }));
        const p = keep(run(PadV2, { x: r }, zeroPad([[0, 0], [0, 0], [0, sh - 1], [0, 0]])));
        d = keep(run(Reshape, { x: p }, { shape: [n, oh * sh, dw, cout] }));
      }
      const dh = sh > 1 ? oh * sh : oh;
      // Rows needed: dx[h] reads padded rows h … h+kh−1, i.e. kh−1−top before the data and h+top−dh after it.
      const [beforeH, beforeW] = [kh - 1 - top, kw - 1 - left];
      const [afterH, afterW] = [h + top - dh, w + left - dw];
      const grow = (v: number) => Math.max(0, v);
      const padded = keep(run(PadV2, { x: d }, zeroPad([[0, 0], [grow(beforeH), grow(afterH)], [grow(beforeW), grow(afterW)], [0, 0]])));
      const cropped =
        Math.min(beforeH, beforeW, afterH, afterW) < 0
          ? keep(run(Slice, { x: padded }, { begin: [0, grow(-beforeH), grow(-beforeW), 0], size: [n, h + kh - 1, w + kw - 1, cout] }))
          : padded;
      const rotate: StridedSliceAttrs = {
        begin: [kh - 1, kw - 1, 0, 0],
        end: [0, 0, cin, cout],
        strides: [-1, -1, 1, 1],
        beginMask: 0,
        endMask: 3,
        ellipsisMask: 0,
        newAxisMask: 0,
        shrinkAxisMask: 0,
      };
      const rotated = keep(run(StridedSlice, { x: filter }, rotate));
      const swapped = keep(run(Transpose, { x: rotated }, { perm: [0, 1, 3, 2] }));
      const plain: Conv2DAttrs = { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined };
      return run(Conv2D, { x: cropped, filter: swapped }, plain);
    } finally {
      dispose();
    }
  };
}
