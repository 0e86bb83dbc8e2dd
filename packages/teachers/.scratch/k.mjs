import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
await tf.setBackend('wasm'); await tf.ready();
const names = ['Conv2D','Conv2DBackpropFilter','Conv2DBackpropInput','MaxPool','MaxPoolGrad','AvgPool','AvgPoolGrad','DepthwiseConv2dNative','DepthwiseConv2dNativeBackpropFilter','DepthwiseConv2dNativeBackpropInput','FusedConv2D','FusedBatchNorm','Mean','Sigmoid','Relu','PadV2','MirrorPad','Transpose','BatchMatMul','_FusedMatMul','SplitV','Concat','Slice','Sum','Square','Rsqrt','Max','ArgMax','TopK','Prod','ReluGrad','StridedSlice','Tile','Conv3D'];
for (const n of names) console.log(n, !!tf.getKernel(n,'wasm'), !!tf.getKernel(n,'cpu'));
