// `npm run fuzz`: seeded mutation fuzzing of the checkpoint readers. Every case runs in a pool of worker
// processes under a per-case timeout and an RSS watch; outcomes are classified and tabled, and any bad class
// (raw/wrapped exception, inconsistent result, accepted hostile file, hang, memory blow-up, crash) fails the run.
import { type ChildProcess, fork } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HOSTILE_FILES } from '../src/io/hostile-files.js';
import { BAD, type FuzzCase, type FuzzResult, type Outcome } from './protocol.js';

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    cases: { type: 'string' },
    long: { type: 'boolean', default: false },
    case: { type: 'string' },
    timeout: { type: 'string', default: '10000' },
    workers: { type: 'string', default: '2' },
    'rss-mb': { type: 'string', default: '512' },
    'heap-mb': { type: 'string', default: '512' },
    fixtures: { type: 'string' },
    out: { type: 'string' },
    worker: { type: 'string' },
    list: { type: 'boolean', default: false },
  },
});

// `npm run fuzz` runs from the repository root.
const root = process.cwd();
const seed = Number(args.seed);
const mutants = Number(args.cases ?? (args.long ? 20_000 : 400));
const timeoutMs = Number(args.timeout);
const rssLimitMb = Number(args['rss-mb']);
const fixtureDir = args.fixtures ?? join(root, 'fixtures');
const outDir = args.out ?? join(root, '.tmp', 'fuzz-failures');
const workerScript = args.worker!;
const scratch = mkdtempSync(join(tmpdir(), 'deitjs-fuzz-'));

// Equal shares for the three formats, whatever the number of fixture files of each.
const names = readdirSync(fixtureDir).sort();
const formats: [string, string[]][] = [
  ['safetensors', names.filter((n) => n.endsWith('.safetensors'))],
  ['pth-zip', names.filter((n) => n.endsWith('.pth') && !n.includes('.legacy.'))],
  ['pth-legacy', names.filter((n) => n.endsWith('.legacy.pth'))],
];
const allFixtures = formats.flatMap(([, f]) => f).map((n) => join(fixtureDir, n));

function buildCases(): FuzzCase[] {
  const cases: FuzzCase[] = [];
  let id = 0;
  for (const h of HOSTILE_FILES) cases.push({ id: id++, kind: 'hostile', name: h.name, expect: h.expect, group: 'hostile' });
  for (const name of ['fifo', 'directory', 'device', 'symlink-to-device'] as const) cases.push({ id: id++, kind: 'special', name, group: 'special' });
  for (let i = 0; i < mutants; i++) {
    const [group, files] = formats[i % formats.length]!;
    const fixture = join(fixtureDir, files[Math.floor(i / formats.length) % files.length]!);
    cases.push({ id: id++, kind: 'mutant', seed, fixture, others: allFixtures, group });
  }
  return args.case === undefined ? cases : cases.filter((c) => c.id === Number(args.case));
}

interface Slot {
  index: number;
  proc: ChildProcess;
  current: FuzzCase | undefined;
  timer: NodeJS.Timeout | undefined;
  stderr: string;
  ready: Promise<void>;
  killedFor: Outcome | undefined;
}

const results = new Map<number, FuzzResult & { group: string }>();
const queue = buildCases();
const total = queue.length;
let peakRssMb = 0;
let restarts = 0;
const started = Date.now();

function casePathOf(slot: Slot): string {
  return join(scratch, `case-${slot.index}.bin`);
}

function record(slot: Slot, c: FuzzCase, r: FuzzResult): void {
  let outcome = r.outcome;
  if (c.kind === 'hostile' && c.expect === 'error' && outcome === 'ok') outcome = 'accepted';
  results.set(c.id, { ...r, outcome, group: c.group });
  if (BAD.includes(outcome)) {
    mkdirSync(outDir, { recursive: true });
    const saved = join(outDir, `seed${seed}-case${c.id}-${outcome}.bin`);
    // Only a regular file is kept: copying the FIFO case would block like the reader it tests.
    const path = casePathOf(slot);
    if (existsSync(path) && lstatSync(path).isFile()) copyFileSync(path, saved);
    writeFileSync(join(outDir, 'failures.jsonl'), `${JSON.stringify({ seed, ...results.get(c.id), saved })}\n`, { flag: 'a' });
  }
}

function spawn(index: number): Slot {
  const slot = { index, current: undefined, timer: undefined, stderr: '', killedFor: undefined } as Slot;
  const proc = fork(workerScript, [join(scratch, `w${index}`), join(scratch, `case-${index}.bin`)], {
    execArgv: [`--max-old-space-size=${args['heap-mb']}`],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  slot.proc = proc;
  proc.stderr!.on('data', (d: Buffer) => {
    slot.stderr = (slot.stderr + d.toString()).slice(-4000);
  });
  slot.ready = new Promise((resolve) => proc.once('message', () => resolve()));
  return slot;
}

/** RSS of a process in MB, from /proc (0 where there is no /proc). */
function rssMb(pid: number | undefined): number {
  try {
    const statm = readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ');
    return (Number(statm[1]) * 4096) / 2 ** 20;
  } catch {
    return 0;
  }
}

async function runSlot(index: number): Promise<void> {
  let slot = spawn(index);
  await slot.ready;
  for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
    const r = await new Promise<FuzzResult>((resolve) => {
      const s = slot;
      s.current = c;
      const watch = setInterval(() => {
        const rss = rssMb(s.proc.pid);
        peakRssMb = Math.max(peakRssMb, rss);
        if (rss > rssLimitMb && s.killedFor === undefined) {
          s.killedFor = 'blowup';
          s.proc.kill('SIGKILL');
        }
      }, 25);
      s.timer = setTimeout(() => {
        s.killedFor = 'hang';
        s.proc.kill('SIGKILL');
      }, timeoutMs);
      const done = (res: FuzzResult) => {
        clearInterval(watch);
        clearTimeout(s.timer);
        s.proc.removeAllListeners('exit');
        s.proc.removeAllListeners('message');
        resolve(res);
      };
      s.proc.on('message', (m: FuzzResult) => done(m));
      s.proc.on('exit', (code, signal) => {
        const oom = /heap limit|Allocation failed|out of memory/i.test(s.stderr);
        const outcome: Outcome = s.killedFor ?? (oom ? 'blowup' : 'crash');
        done({ id: c!.id, outcome, detail: `worker died (code ${code}, signal ${signal}) ${s.stderr.slice(0, 600)}`, steps: [], ms: timeoutMs, maxRssMb: 0 });
      });
      s.proc.send(c!);
    });
    let restart = slot.killedFor !== undefined || !slot.proc.connected || r.outcome === 'crash';
    if (r.maxRssMb > rssLimitMb) {
      // maxRSS is a high-water mark: the case went over the limit between samples; start afresh after it.
      if (r.outcome === 'ok' || r.outcome === 'typed') r.outcome = 'blowup';
      restart = true;
    }
    peakRssMb = Math.max(peakRssMb, r.maxRssMb);
    record(slot, c, r);
    if (restart) {
      restarts++;
      slot.proc.kill('SIGKILL');
      slot = spawn(index);
      await slot.ready;
    }
    if (results.size % 1000 === 0) process.stderr.write(`  ${results.size}/${total} cases, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  }
  slot.proc.kill();
}

function table(): boolean {
  const columns: Outcome[] = ['ok', 'typed', 'raw', 'wrapped', 'invalid', 'accepted', 'hang', 'blowup', 'crash'];
  const groups = ['safetensors', 'pth-zip', 'pth-legacy', 'hostile', 'special'];
  const rows = [...groups, 'total'].map((g) => {
    const rs = [...results.values()].filter((r) => g === 'total' || r.group === g);
    return [g, ...columns.map((o) => String(rs.filter((r) => r.outcome === o).length)), String(rs.length)];
  });
  const header = ['group', ...columns, 'cases'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  const seconds = (Date.now() - started) / 1000;
  const slowest = [...results.values()].sort((a, b) => b.ms - a.ms)[0];
  console.log(
    `seed ${seed}: ${results.size} cases (${mutants} mutations) in ${seconds.toFixed(1)} s, ${(results.size / seconds).toFixed(0)} cases/s; ` +
      `slowest ${slowest?.ms.toFixed(0)} ms (case ${slowest?.id}); peak worker RSS ${peakRssMb.toFixed(0)} MB; ${restarts} worker restarts`,
  );
  if (args.list) for (const r of [...results.values()].sort((a, b) => a.id - b.id)) console.log(`  ${r.id} ${r.group} ${r.outcome} ${r.ms.toFixed(0)} ms [${r.steps.join('; ')}]: ${r.detail.slice(0, 160)}`);
  const bad = [...results.values()].filter((r) => BAD.includes(r.outcome));
  for (const r of bad.slice(0, 20)) console.log(`  BAD ${r.outcome} case ${r.id} [${r.steps.join('; ')}]: ${r.detail.slice(0, 200)}`);
  if (bad.length > 0) console.log(`${bad.length} bad cases; files and details in ${outDir} (rerun one with --seed ${seed} --case <id>)`);
  return bad.length === 0;
}

console.log(`fuzzing the checkpoint readers: seed ${seed}, ${total} cases, ${args.workers} workers, timeout ${timeoutMs} ms, RSS limit ${rssLimitMb} MB`);
await Promise.all(Array.from({ length: Number(args.workers) }, (_, i) => runSlot(i)));
const good = table();
rmSync(scratch, { recursive: true, force: true });
process.exit(good ? 0 : 1);
