import { ShapeError, tf } from '@deitjs/core';

type TensorInfo = tf.TensorInfo;
type KernelFn = (args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }) => TensorInfo | TensorInfo[];

interface FilterGradAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

function wasmKernel(name: string): KernelFn {
  const k = tf.getKernel(name, 'wasm');
  if (k === undefined) throw new Error(`the wasm backend has no ${name} kernel`);
  return k.kernelFunc as KernelFn;
}

/**
 * The filter gradient of an NHWC conv2d, dW[i, j, c, o] = Σ_{n,y,x} xpad[n, y·s + i, x·s + j, c] · dy[n, y, x, o],
 * computed from kernels the wasm backend has: for each filter tap (i, j) dyᵀ `[O, N·OH·OW]` times a strided slice
 * of the padded input `[N·OH·OW, C]` (one matMul), the kh·kw `[O, C]` blocks then arranged in HWIO order. It
 * needs no im2col buffer: each tap's slice is freed before the next is cut.
 */
function conv2dFilterGradWasm({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): TensorInfo {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs as unknown as FilterGradAttrs;
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
  const { batchSize: n, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const { inChannels: cin, outChannels: cout } = info;
  const { top, bottom, left, right } = info.padInfo;
  const run = (name: string, ins: tf.NamedTensorInfoMap, at: tf.NamedAttrMap): TensorInfo => wasmKernel(name)({ inputs: ins, backend, attrs: at }) as TensorInfo;
  const free = (t: TensorInfo): void => {
    backend.disposeData(t.dataId);
  };

  const padded =
    top + bottom + left + right > 0
      ? run('PadV2', { x }, { paddings: [[0, 0], [top, bottom], [left, right], [0, 0]], constantValue: 0 } as unknown as tf.NamedAttrMap)
      : x;
  const m = n * oh * ow;
  // wasm's matMul with transposeA is several times slower than a transpose plus a plain matMul, so dy is
  // transposed once to [O, M] and each tap computes dyᵀ·tap = [O, C]; the taps' [O, C] blocks are turned
  // into HWIO by one small transpose at the end.
  const dy2 = run('Reshape', { x: dy }, { shape: [1, m, cout] });
  const dyT = run('Transpose', { x: dy2 }, { perm: [0, 2, 1] });
  free(dy2);
  const blocks: TensorInfo[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const whole = i === 0 && j === 0 && sh === 1 && sw === 1 && padded.shape[1] === oh && padded.shape[2] === ow;
      const tap = whole
        ? padded
        : run(
            'StridedSlice',
            { x: padded },
            {
              begin: [0, i, j, 0],
              end: [n, i + (oh - 1) * sh + 1, j + (ow - 1) * sw + 1, cin],
              strides: [1, sh, sw, 1],
              beginMask: 0,
              endMask: 0,
              ellipsisMask: 0,
              newAxisMask: 0,
              shrinkAxisMask: 0,
            },
          );
      const tap3 = run('Reshape', { x: tap }, { shape: [1, m, cin] });
      blocks.push(run('BatchMatMul', { a: dyT, b: tap3 }, { transposeA: false, transposeB: false }));
      free(tap3);
      if (tap !== padded) free(tap);
    }
  }
  free(dyT);
  if (padded !== x) free(padded);
  // blocks: kh·kw × [1, O, C] → [kh·kw, O, C] → [kh·kw, C, O] → [kh, kw, C, O].
  const joined = blocks.length === 1 ? blocks[0]! : run('Concat', blocks as unknown as tf.NamedTensorInfoMap, { axis: 0 });
  if (blocks.length > 1) for (const b of blocks) free(b);
  const hwio = run('Transpose', { x: joined }, { perm: [0, 2, 1] });
  free(joined);
  const out = run('Reshape', { x: hwio }, { shape: [kh, kw, cin, cout] });
  free(hwio);
  return out;
}

/**
 * Registers a `Conv2DBackpropFilter` kernel for the wasm backend, which ships without one (so conv filter
 * gradients, i.e. training any CNN, fail there). Idempotent; leaves an existing kernel alone.
 * Returns whether it registered the kernel.
 */
export function registerWasmConvFilterGrad(): boolean {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm') !== undefined) return false;
  tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2dFilterGradWasm as unknown as tf.KernelFunc });
  return true;
}
