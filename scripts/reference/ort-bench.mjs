// Same-run ORT comparison: an .onnx file, batch 64, 1 warm-up + 5 timed runs, median; intra-op threads 0 (ORT default).
import { createRequire } from 'node:module';
const require = createRequire(new URL('../../packages/onnx/package.json', import.meta.url));
const ort = require('onnxruntime-node');
const file = process.argv[2];
const s = await ort.InferenceSession.create(file, { intraOpNumThreads: 0 });
const x = new ort.Tensor('float32', new Float32Array(64 * 3 * 224 * 224).map(() => Math.random()), [64, 3, 224, 224]);
await s.run({ pixel_values: x });
const ts = [];
for (let i = 0; i < 5; i++) { const t = performance.now(); await s.run({ pixel_values: x }); ts.push(performance.now() - t); }
ts.sort((a, b) => a - b);
console.log(`${file}: ${(64 / (ts[2] / 1000)).toFixed(1)} img/s`);
