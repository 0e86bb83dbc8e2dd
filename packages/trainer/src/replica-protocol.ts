// Messages between a DataParallel (this thread) and its replica worker threads (serveReplica).

/** A host array with its shape, as it crosses a thread boundary. */
export interface HostArrayMessage {
  data: Float32Array | Int32Array;
  shape: number[];
}

/** This thread → replica. */
export type ReplicaRequest =
  | { type: 'init'; backend: string; options: unknown }
  | {
      type: 'step';
      id: number;
      /** Every trainable variable of this thread's model, by PyTorch name: the replica computes at exactly these weights. */
      weights: Array<[string, Float32Array]>;
      images: HostArrayMessage;
      targets: HostArrayMessage;
      /** Teacher logits for these images, unless the replica runs its own teacher. */
      teacher?: HostArrayMessage;
      /** Seed of the replica's generator for this step (drop path etc.). */
      seed: number;
    };

/** Replica → this thread. */
export type ReplicaReply =
  | { type: 'ready'; backend: string; params: Array<[string, number[]]>; hasTeacher: boolean }
  | { type: 'grads'; id: number; loss: number; parts: Record<string, number>; grads: Array<[string, Float32Array]> }
  | { type: 'error'; id?: number; name: string; message: string; option?: string };
