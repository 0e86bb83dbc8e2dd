// The one place deitjs pulls in the TF.js union: importing it registers every gradient and chained op
// (`@tensorflow/tfjs-core` alone registers neither) in the process-wide registries that tfjs-core uses.
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';

export { tf };
