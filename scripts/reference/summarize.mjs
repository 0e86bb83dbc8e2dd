// Prints mean ± std (sample std, n−1) per variant and stage from mnist_reference.py's results.jsonl, with per-seed values.
// Usage: node scripts/reference/summarize.mjs [/tmp/ref-runs/results.jsonl] [seeds=0,1,2]
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? '/tmp/ref-runs/results.jsonl';
const seeds = process.argv[3] ? new Set(process.argv[3].split(',').map(Number)) : undefined;
const rows = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => !seeds || seeds.has(r.seed));
const groups = new Map();
for (const r of rows) {
  const k = `${r.tag} ${r.stage}`;
  if (!groups.has(k)) groups.set(k, []);
  groups.get(k).push(r);
}
const stat = (v) => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  const s = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1)) : 0;
  return `${m.toFixed(2)} ± ${s.toFixed(2)}`;
};
for (const [k, rs] of groups) {
  rs.sort((a, b) => a.seed - b.seed);
  const acc = rs.map((r) => r.final.mean);
  console.log(`${k.padEnd(34)} n=${rs.length}  ${stat(acc)}   per seed: ${rs.map((r) => `${r.seed}:${r.final.mean.toFixed(2)}`).join(' ')}`);
}
// Paired difference distilled − baseline per variant.
const tags = [...new Set(rows.map((r) => r.tag))];
for (const t of tags) {
  const d = new Map(rows.filter((r) => r.tag === t && r.stage === 'distilled').map((r) => [r.seed, r.final.mean]));
  const diffs = rows.filter((r) => r.tag === t && r.stage === 'baseline' && d.has(r.seed)).map((r) => d.get(r.seed) - r.final.mean);
  if (diffs.length) console.log(`${t.padEnd(34)} Δ distilled − baseline (paired) ${stat(diffs)}`);
}
