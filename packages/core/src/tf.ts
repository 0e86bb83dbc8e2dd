// The one place deitjs loads TensorFlow.js: tfjs-core alone registers neither gradients nor the chained tensor
// methods (`x.reshape(…)`), so both registries are filled here from tfjs-core's own modules — not from the
// `@tensorflow/tfjs` union, which would also install webgl, layers, converter and data (~280 MB).
// Node's build bundles these two ES modules (tfjs-core's Node entry is CommonJS and the deep paths are ES modules);
// a browser bundler resolves them next to tfjs-core's ES entry. Either way they fill the process-wide registries.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';

export { tf };
