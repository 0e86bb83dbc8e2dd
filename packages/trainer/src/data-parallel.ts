import { Worker } from 'node:worker_threads';
import { ConfigError, DeitError, Rng, ShapeError, tf } from '@deitjs/core';
import { type GradientModel, type GradientResult, lossAndGradients } from './loss-gradients.js';
import type { HostArrayMessage, ReplicaReply, ReplicaRequest } from './replica-protocol.js';

/** Options of {@link DataParallel.start}. */
export interface DataParallelOptions {
  /** The replicas' worker script: a module that calls `serveReplica(factory)` at its top level. */
  script: URL;
  /** Worker threads besides this one; each batch is split over `replicas + 1` shares (this thread takes the first). */
  replicas: number;
  /** Handed to the script's factory (must survive structured cloning: plain data). */
  replicaOptions?: unknown;
  /** Backend of the replicas (default: this thread's current backend). */
  backend?: string;
}

interface Pending {
  resolve: (r: ReplicaReply & { type: 'grads' }) => void;
  reject: (e: Error) => void;
}

/** The error a replica reported, or its thread's failure, as a typed error naming the replica. */
export class ReplicaError extends DeitError {
  constructor(replica: number, message: string) {
    super('E_REPLICA', `data-parallel replica ${replica}: ${message}`);
    this.name = 'ReplicaError';
  }
}

/** Sizes of `parts` near-equal contiguous shares of `n` rows (the first ones larger); shares of 0 rows are dropped. */
export function splitSizes(n: number, parts: number): number[] {
  const base = Math.floor(n / parts);
  const extra = n % parts;
  return Array.from({ length: parts }, (_, i) => base + (i < extra ? 1 : 0)).filter((s) => s > 0);
}

function hostSlice(t: tf.Tensor, begin: number, size: number): HostArrayMessage {
  const s = tf.slice(t, begin, size);
  const data = s.dataSync() as Float32Array | Int32Array;
  const out = { data: data instanceof Int32Array ? Int32Array.from(data) : Float32Array.from(data), shape: s.shape };
  s.dispose();
  return out;
}

/**
 * Data-parallel gradients over worker threads, each with its own TF.js backend (wasm runs one thread per backend, so
 * this is how a training step uses every core). Every step sends the current weights and a share of the batch to
 * each replica, computes this thread's share meanwhile, and averages the gradients weighted by share size — the
 * gradient of the whole batch for any loss that is a mean over the batch (every loss of `@deitjs/losses`). Models
 * with BatchNorm in training mode use per-share batch statistics (as PyTorch DDP without SyncBatchNorm).
 */
export class DataParallel {
  /** Shares per batch: the replicas plus this thread. */
  readonly size: number;
  /** Whether the replicas run their own live teacher (else teacher logits are sent with each share). */
  readonly replicasHaveTeacher: boolean;
  /** Each replica's trainable parameter names and shapes. */
  readonly params: ReadonlyArray<[string, number[]]>;
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;
  /** The death of a replica's thread: every later step fails with it (a message to a dead thread is never answered). */
  private dead: ReplicaError | undefined;

  private constructor(workers: Worker[], ready: Array<ReplicaReply & { type: 'ready' }>) {
    this.workers = workers;
    this.size = workers.length + 1;
    this.replicasHaveTeacher = ready.every((r) => r.hasTeacher);
    this.params = ready[0]?.params ?? [];
    workers.forEach((w, i) => {
      w.on('message', (m: ReplicaReply) => this.onReply(i, m));
      w.on('error', (err) => this.die(new ReplicaError(i + 1, err.message)));
      w.on('exit', (code) => {
        if (!this.closed) this.die(new ReplicaError(i + 1, `its thread exited (code ${code})`));
      });
    });
  }

  /** Starts the replicas and waits until each has built its model. */
  static async start(options: DataParallelOptions): Promise<DataParallel> {
    if (!Number.isInteger(options.replicas) || options.replicas < 1) throw new ConfigError('replicas', `must be a positive integer, got ${options.replicas}`);
    const backend = options.backend ?? tf.getBackend();
    const workers: Worker[] = [];
    try {
      const ready = await Promise.all(
        Array.from({ length: options.replicas }, (_, i) => {
          const w = new Worker(options.script);
          workers.push(w);
          return new Promise<ReplicaReply & { type: 'ready' }>((resolve, reject) => {
            // Only these listeners are removed afterwards: removeAllListeners() would also drop the Worker's own.
            const done = (): void => {
              w.off('message', onMessage);
              w.off('error', onError);
              w.off('exit', onExit);
            };
            const onMessage = (m: ReplicaReply): void => {
              done();
              if (m.type === 'ready') resolve(m);
              else reject(new ReplicaError(i + 1, m.type === 'error' ? m.message : `unexpected ${m.type} message`));
            };
            const onError = (err: Error): void => {
              done();
              reject(new ReplicaError(i + 1, err.message));
            };
            const onExit = (code: number): void => {
              done();
              reject(new ReplicaError(i + 1, `its thread exited during start-up (code ${code})`));
            };
            w.on('message', onMessage);
            w.on('error', onError);
            w.on('exit', onExit);
            w.postMessage({ type: 'init', backend, options: options.replicaOptions } satisfies ReplicaRequest);
          });
        }),
      );
      return new DataParallel(workers, ready);
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
  }

  /** Throws a ConfigError unless every replica has exactly these trainable variables (names and shapes). */
  checkModel(variables: Map<string, tf.Variable>): void {
    const mine = [...variables].map(([n, v]) => `${n}:${v.shape.join('x')}`).sort();
    const theirs = this.params.map(([n, s]) => `${n}:${s.join('x')}`).sort();
    const missing = mine.filter((x) => !theirs.includes(x));
    const extra = theirs.filter((x) => !mine.includes(x));
    if (missing.length > 0 || extra.length > 0) {
      throw new ConfigError('replicaOptions', `the replicas' model differs from this thread's: missing ${missing.slice(0, 3).join(', ') || '–'}; unexpected ${extra.slice(0, 3).join(', ') || '–'}`);
    }
  }

  /**
   * Loss and gradients of one batch, split over this thread and the replicas: the same result (up to float summation
   * order, and per-share randomness) as `lossAndGradients` on the whole batch. `teacherLogits`, when given, are
   * split with the batch; without them each share runs its own teacher (this thread's `model.teacher`, and the
   * replicas' if they have one; otherwise this thread runs the teacher on the whole batch first).
   */
  async lossAndGradients(
    model: GradientModel,
    images: tf.Tensor4D,
    targets: tf.Tensor1D | tf.Tensor2D,
    teacherLogits: tf.Tensor2D | undefined,
    rng: Rng,
  ): Promise<GradientResult> {
    if (this.closed) throw new DeitError('E_REPLICA', 'this DataParallel has been closed');
    if (this.dead !== undefined) throw this.dead;
    const n = images.shape[0];
    if (targets.shape[0] !== n) throw new ShapeError('targets', `${targets.shape[0]} targets for ${n} images`);
    const sizes = splitSizes(n, this.size);
    let teacher = teacherLogits;
    let ownTeacher: tf.Tensor2D | undefined;
    if (teacher === undefined && model.teacher !== undefined && !this.replicasHaveTeacher && sizes.length > 1) {
      ownTeacher = tf.tidy(() => model.teacher!.predict(images));
      teacher = ownTeacher;
    }
    // Seeds drawn in a fixed order from this thread's generator keep a resumed run on the same randomness.
    const seeds = sizes.map(() => rng.int(0, 0x7fffffff));
    const weights: Array<[string, Float32Array]> = [...model.variables].map(([name, v]) => [name, v.dataSync() as Float32Array]);
    const remote: Array<Promise<ReplicaReply & { type: 'grads' }>> = [];
    let offset = sizes[0]!;
    try {
      for (let r = 1; r < sizes.length; r++) {
        const size = sizes[r]!;
        const msg: ReplicaRequest = {
          type: 'step',
          id: this.nextId++,
          weights,
          images: hostSlice(images, offset, size),
          targets: hostSlice(targets, offset, size),
          ...(teacher ? { teacher: hostSlice(teacher, offset, size) } : {}),
          seed: seeds[r]!,
        };
        remote.push(this.send(r - 1, msg));
        offset += size;
      }
      for (const p of remote) p.catch(() => undefined);
      // This thread's share, computed while the replicas work on theirs.
      const own = tf.tidy(() => [tf.slice(images, 0, sizes[0]!), tf.slice(targets, 0, sizes[0]!), ...(teacher ? [tf.slice(teacher, 0, sizes[0]!)] : [])]);
      let mine: GradientResult;
      try {
        mine = await lossAndGradients(model, own[0] as tf.Tensor4D, own[1] as tf.Tensor1D, own[2] as tf.Tensor2D | undefined, new Rng(seeds[0]!));
      } finally {
        tf.dispose(own);
      }
      let replies: Array<ReplicaReply & { type: 'grads' }>;
      try {
        replies = await Promise.all(remote);
      } catch (err) {
        tf.dispose([...mine.grads.values()]);
        throw err;
      }
      return combine(mine, sizes, replies, model.variables);
    } finally {
      ownTeacher?.dispose();
    }
  }

  /** Stops the replica threads. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new DeitError('E_REPLICA', 'the DataParallel was closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private send(worker: number, msg: ReplicaRequest & { type: 'step' }): Promise<ReplicaReply & { type: 'grads' }> {
    return new Promise((resolve, reject) => {
      this.pending.set(msg.id, { resolve, reject });
      // Weights are shared by all replicas' messages (cloned); the share's own arrays are moved.
      const transfer = [msg.images.data.buffer, msg.targets.data.buffer, ...(msg.teacher ? [msg.teacher.data.buffer] : [])] as ArrayBuffer[];
      this.workers[worker]!.postMessage(msg, transfer);
    });
  }

  private onReply(worker: number, m: ReplicaReply): void {
    if (m.type === 'ready') return;
    if (m.id === undefined) {
      this.failAll(new ReplicaError(worker + 1, m.type === 'error' ? m.message : 'reply without an id'));
      return;
    }
    const p = this.pending.get(m.id);
    if (p === undefined) return;
    this.pending.delete(m.id);
    if (m.type === 'grads') p.resolve(m);
    else p.reject(new ReplicaError(worker + 1, m.message));
  }

  private die(err: ReplicaError): void {
    this.dead ??= err;
    this.failAll(err);
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

/** Σ sizeᵢ·gradᵢ / Σ sizeᵢ per variable (and the same for the loss and its parts). */
function combine(
  mine: GradientResult,
  sizes: number[],
  replies: Array<ReplicaReply & { type: 'grads' }>,
  variables: Map<string, tf.Variable>,
): GradientResult {
  const total = sizes.reduce((a, b) => a + b, 0);
  const w = sizes.map((s) => s / total);
  const remote = replies.map((r) => new Map(r.grads));
  const grads = new Map<string, tf.Tensor>();
  for (const [name, g] of mine.grads) {
    const v = variables.get(name)!;
    grads.set(
      name,
      tf.tidy(() => {
        let sum = tf.mul(g, w[0]!);
        remote.forEach((m, i) => {
          const data = m.get(name);
          if (data === undefined) throw new ReplicaError(i + 1, `sent no gradient for "${name}"`);
          sum = tf.add(sum, tf.mul(tf.tensor(data, v.shape, 'float32'), w[i + 1]!));
        });
        return sum;
      }),
    );
    g.dispose();
  }
  let loss = mine.loss * w[0]!;
  const parts: Record<string, number> = {};
  for (const [k, v] of Object.entries(mine.parts)) parts[k] = v * w[0]!;
  replies.forEach((r, i) => {
    loss += r.loss * w[i + 1]!;
    for (const [k, v] of Object.entries(r.parts)) parts[k] = (parts[k] ?? 0) + v * w[i + 1]!;
  });
  return { grads, loss, parts };
}
