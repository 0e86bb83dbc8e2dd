import { parentPort } from 'node:worker_threads';
import { type BackendChoice, ConfigError, DeitError, type LossFn, Rng, type Teacher, initBackend, tf } from '@deitjs/core';
import { lossAndGradients } from './loss-gradients.js';
import type { HostArrayMessage, ReplicaReply, ReplicaRequest } from './replica-protocol.js';
import type { Student } from './student.js';

/** What a replica worker trains: the same architecture and loss as the main thread (weights come from there). */
export interface Replica {
  /** The model (its initial weights do not matter: every step brings the main thread's). */
  student: Student;
  /** The training loss (must be a mean over the batch, as every loss of `@deitjs/losses` is). */
  loss: LossFn;
  /** A live teacher, so that teacher forward passes run in the replicas too (optional). */
  teacher?: Teacher;
}

/** Builds a replica from the structured-cloneable options given to `DataParallel.start`. */
export type ReplicaFactory = (options: unknown) => Replica | Promise<Replica>;

const toTensor = (m: HostArrayMessage): tf.Tensor => tf.tensor(m.data, m.shape, m.data instanceof Int32Array ? 'int32' : 'float32');

/**
 * Serves a `DataParallel` from inside a worker thread: call it once at the top level of the worker's script
 * (see the README's data-parallel section). The replica initialises the main thread's backend, builds its model with
 * `factory`, and for every step loads the sent weights, computes the loss and gradients of its share of the batch
 * and sends them back.
 */
export function serveReplica(factory: ReplicaFactory): void {
  const port = parentPort;
  if (port === null) throw new DeitError('E_REPLICA', 'serveReplica() must run in a worker thread started by DataParallel');
  let replica: Replica | undefined;
  let variables: Map<string, tf.Variable> | undefined;
  const reply = (m: ReplicaReply, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);
  port.on('message', async (msg: ReplicaRequest) => {
    const id = msg.type === 'step' ? msg.id : undefined;
    try {
      if (msg.type === 'init') {
        await initBackend(msg.backend as BackendChoice);
        replica = await factory(msg.options);
        variables = replica.student.trainableVariables();
        reply({
          type: 'ready',
          backend: tf.getBackend(),
          params: [...variables].map(([name, v]) => [name, v.shape]),
          hasTeacher: replica.teacher !== undefined,
        });
        return;
      }
      if (replica === undefined || variables === undefined) throw new DeitError('E_REPLICA', 'step before init');
      for (const [name, data] of msg.weights) {
        const v = variables.get(name);
        if (v === undefined) throw new ConfigError('weights', `the replica has no trainable variable "${name}"`);
        tf.tidy(() => v.assign(tf.tensor(data, v.shape, 'float32')));
      }
      const images = toTensor(msg.images) as tf.Tensor4D;
      const targets = toTensor(msg.targets) as tf.Tensor1D | tf.Tensor2D;
      const teacher = msg.teacher === undefined ? undefined : (toTensor(msg.teacher) as tf.Tensor2D);
      try {
        const r = await lossAndGradients({ ...replica, variables }, images, targets, teacher, new Rng(msg.seed));
        // dataSync may hand back the backend's own storage (cpu): copy before transferring it away.
        const grads: Array<[string, Float32Array]> = [...r.grads].map(([name, g]) => [name, Float32Array.from(g.dataSync() as Float32Array)]);
        tf.dispose([...r.grads.values()]);
        reply({ type: 'grads', id: msg.id, loss: r.loss, parts: r.parts, grads }, grads.map(([, a]) => a.buffer as ArrayBuffer));
      } finally {
        tf.dispose([images, targets, ...(teacher ? [teacher] : [])]);
      }
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      reply({ type: 'error', ...(id !== undefined ? { id } : {}), name: e.name, message: e.message, ...(err instanceof ConfigError ? { option: err.option } : {}) });
    }
  });
}
