// The live distillation in a Web Worker: the page stays responsive while the students train.
import { DeitError, safetensorsBytes } from '@deitjs/core';
import { startBackend } from './lib/backend.js';
import { parseDigits } from './lib/digits.js';
import { DistillJob } from './lib/distill-job.js';
import { fetchBundle } from './lib/model-bundle.js';
import type { FromWorker, JobState, ToWorker } from './lib/protocol.js';
import { parseRunConfig } from './lib/run-config.js';
import { studentRunJson } from './lib/student-run.js';

const post = (m: FromWorker, transfer: Transferable[] = []): void => (self as unknown as Worker).postMessage(m, transfer);
let job: DistillJob | undefined;
let state: JobState = 'loading';
let backendReady: Promise<void> | undefined;
let studentRaw: Record<string, unknown> = {};
let looping = false;

function setState(s: JobState): void {
  state = s;
  post({ type: 'state', state: s, phase: job?.phase, totalSteps: job?.totalSteps });
}

async function fetchOk(url: string): Promise<Response> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r;
}

async function start(m: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  backendReady ??= startBackend().then((b) => post({ type: 'backend', summary: b.summary }));
  await backendReady;
  job?.dispose();
  job = undefined;
  setState('loading');
  const [teacher, studentRun, meta, bytes] = await Promise.all([
    fetchBundle(m.assets.teacher),
    fetchOk(`${m.assets.student}/run.json`).then((r) => r.json()),
    fetchOk(`${m.assets.digits}/digits.json`).then((r) => r.json()),
    fetchOk(`${m.assets.digits}/digits.bin`).then((r) => r.arrayBuffer()),
  ]);
  const { train, test } = parseDigits(meta, bytes);
  const student = parseRunConfig(studentRun, `${m.assets.student}/run.json`);
  studentRaw = studentRun as Record<string, unknown>;
  // The live students see the digits as the committed student did: as many channels as its teacher reads.
  job = new DistillJob(teacher, student, teacher.channels, train, test, m.settings);
  setState('running');
  post({ type: 'eval', report: job.evaluate() });
  void loop(job).catch(fail);
}

async function loop(current: DistillJob): Promise<void> {
  // One loop at a time: a resume that arrives while a paused step is still finishing joins that loop.
  if (looping) return;
  looping = true;
  try {
    await steps(current);
  } finally {
    looping = false;
  }
}

async function steps(current: DistillJob): Promise<void> {
  while (job === current && state === 'running' && !current.done) {
    const phase = current.phase;
    const report = await current.runStep();
    post({ type: 'step', report });
    if (current.phase !== phase) setState('running');
    if (current.step % current.settings.evalEvery === 0 || current.done || current.phase !== phase) post({ type: 'eval', report: current.evaluate() });
    // Let pause/stop messages in between steps.
    await new Promise((r) => setTimeout(r, 0));
  }
  if (job === current && current.done && state === 'running') setState('done');
}

function fail(err: unknown): void {
  post({ type: 'error', message: err instanceof DeitError || err instanceof Error ? err.message : String(err) });
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  try {
    if (m.type === 'start') void start(m).catch(fail);
    else if (m.type === 'pause' && state === 'running') setState('paused');
    else if (m.type === 'resume' && state === 'paused' && job !== undefined) {
      setState('running');
      void loop(job).catch(fail);
    } else if (m.type === 'stop') {
      setState('stopped');
      job?.dispose();
      job = undefined;
    } else if (m.type === 'weights' && job !== undefined) {
      const bytes = safetensorsBytes(job.stateDict(m.which), { format: 'pt' });
      const runJson = studentRunJson(studentRaw, job, m.which);
      post({ type: 'weights', which: m.which, safetensors: bytes.buffer as ArrayBuffer, runJson }, [bytes.buffer as ArrayBuffer]);
    }
  } catch (err) {
    fail(err);
  }
};
