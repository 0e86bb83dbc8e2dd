// Same-run ORT comparison of .onnx exports (ours, timm's): every file gets its own session in this one process and
// the runs go round-robin (a busy neighbour slows all of them alike); 1 warm-up, then --rounds timed runs each;
// median images/s and CPU time per run (user + system; robust to a loaded machine, though spinning threads count).
// usage: node ort-bench.mjs [--batch 64] [--rounds 5] [--threads N] [--size 224] FILE.onnx...
// --threads defaults to deitjs's count (one per physical core); 0 is ONNX Runtime's own count (one thread on this VM).
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
const require = createRequire(new URL('../../packages/onnx/package.json', import.meta.url));
const ort = require('onnxruntime-node');
const { physicalCores } = await import(require.resolve('@deitjs/onnx'));
const { values: o, positionals: files } = parseArgs({
  allowPositionals: true,
  options: { batch: { type: 'string', default: '64' }, rounds: { type: 'string', default: '5' }, threads: { type: 'string', default: String(physicalCores()) }, size: { type: 'string', default: '224' } },
});
const [b, s] = [Number(o.batch), Number(o.size)];
const sessions = [];
for (const f of files) sessions.push(await ort.InferenceSession.create(f, { intraOpNumThreads: Number(o.threads), interOpNumThreads: 1, graphOptimizationLevel: 'all' }));
const x = new ort.Tensor('float32', new Float32Array(b * 3 * s * s).map(() => Math.random()), [b, 3, s, s]);
for (const session of sessions) await session.run({ pixel_values: x });
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const wall = files.map(() => []);
const cpus = files.map(() => []);
for (let r = 0; r < Number(o.rounds); r++) {
  for (let i = 0; i < files.length; i++) {
    const c = cpu();
    const t = performance.now();
    await sessions[i].run({ pixel_values: x });
    wall[i].push(performance.now() - t);
    cpus[i].push(cpu() - c);
  }
}
const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
for (const [i, f] of files.entries()) {
  console.log(`${f} b${b}: ${((b * 1000) / median(wall[i])).toFixed(2)} img/s (median ${median(wall[i]).toFixed(0)} ms wall, ${median(cpus[i]).toFixed(0)} ms CPU per run)`);
}
