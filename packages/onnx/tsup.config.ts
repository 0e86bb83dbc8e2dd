import { defineConfig } from 'tsup';
import { mainEntry, workerEntry } from '../../tsup.shared.ts';

// The ONNX Runtime worker needs only the onnxruntime loader and core's error classes (see workerEntry).
export default defineConfig([mainEntry(), workerEntry('src/ort-worker.ts', { coreFromSource: true })]);
