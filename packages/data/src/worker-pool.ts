import { Worker } from 'node:worker_threads';
import { DeitError } from '@deitjs/core';
import { type BatchJob, deserializeError, type HostBatch, type SerializedError } from './batch-job.js';
import type { WorkerRequest } from './loader-worker.js';

type WorkerReply = { type: 'done'; id: number; batch: HostBatch } | { type: 'error'; id: number; error: SerializedError };

interface Pending {
  id: number;
  job: BatchJob;
  resolve: (b: HostBatch) => void;
  reject: (e: Error) => void;
}

/** A fixed set of loader worker threads, one batch job at a time each, jobs queued in order. */
export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];
  private nextId = 0;
  private closed = false;

  constructor(script: URL, size: number, init: Extract<WorkerRequest, { type: 'init' }>) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(script);
      w.on('message', (msg: WorkerReply) => this.onReply(w, msg));
      w.on('error', (err) => this.onFailure(w, err));
      w.on('exit', (code) => {
        if (!this.closed) this.onFailure(w, new DeitError('E_WORKER', `a loader worker exited unexpectedly (code ${code})`));
      });
      w.postMessage(init);
      w.unref();
      this.workers.push(w);
    }
  }

  /** Loads one batch in the next free worker. */
  run(job: BatchJob): Promise<HostBatch> {
    if (this.closed) return Promise.reject(new DeitError('E_WORKER', 'the loader has been closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, resolve, reject });
      this.dispatch();
    });
  }

  /** Stops the workers; queued jobs are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new DeitError('E_WORKER', 'the loader was closed'));
    for (const p of this.busy.values()) p.reject(new DeitError('E_WORKER', 'the loader was closed'));
    this.busy.clear();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private dispatch(): void {
    for (const w of this.workers) {
      if (this.queue.length === 0) return;
      if (this.busy.has(w)) continue;
      const p = this.queue.shift()!;
      this.busy.set(w, p);
      // A worker with work keeps the process alive; an idle one does not (a forgotten close() cannot hang exit).
      w.ref();
      w.postMessage({ type: 'job', id: p.id, job: p.job } satisfies WorkerRequest);
    }
  }

  private onReply(w: Worker, msg: WorkerReply): void {
    const p = this.busy.get(w);
    if (!p || p.id !== msg.id) return;
    this.busy.delete(w);
    w.unref();
    if (msg.type === 'done') p.resolve(msg.batch);
    else p.reject(deserializeError(msg.error));
    this.dispatch();
  }

  private onFailure(w: Worker, err: Error): void {
    const p = this.busy.get(w);
    this.busy.delete(w);
    const idx = this.workers.indexOf(w);
    if (idx >= 0) this.workers.splice(idx, 1);
    p?.reject(err);
    if (this.workers.length === 0) {
      for (const q of this.queue.splice(0)) q.reject(err);
    } else {
      this.dispatch();
    }
  }
}
