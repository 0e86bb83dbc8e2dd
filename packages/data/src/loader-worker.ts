// Entry point of a loader worker thread: rebuilds the data set and transform from their specs, then
// loads the batches the main thread sends, returning pixel buffers by transfer.
import { parentPort } from 'node:worker_threads';
import { type BatchJob, type OnError, runBatchJob, serializeError } from './batch-job.js';
import { createDataset, type DatasetSpec } from './dataset-spec.js';
import type { Dataset } from './dataset.js';
import { createTransform, type ImageTransform, type TransformSpec } from './transform-spec.js';

/** Messages the main thread sends to a loader worker. */
export type WorkerRequest =
  | { type: 'init'; dataset: DatasetSpec; transform: TransformSpec; seed: number; onError: OnError }
  | { type: 'job'; id: number; job: BatchJob };

let state: { dataset: Dataset; transform: ImageTransform; seed: number; onError: OnError } | undefined;
let initError: unknown;

parentPort?.on('message', async (msg: WorkerRequest) => {
  if (msg.type === 'init') {
    try {
      state = { dataset: createDataset(msg.dataset), transform: createTransform(msg.transform), seed: msg.seed, onError: msg.onError };
    } catch (err) {
      initError = err;
    }
    return;
  }
  try {
    if (!state) throw initError ?? new Error('loader worker used before init');
    const batch = await runBatchJob(state.dataset, state.transform, state.seed, msg.job, state.onError);
    parentPort!.postMessage({ type: 'done', id: msg.id, batch }, [batch.images.buffer, batch.labels.buffer, batch.indices.buffer] as ArrayBuffer[]);
  } catch (err) {
    parentPort!.postMessage({ type: 'error', id: msg.id, error: serializeError(err) });
  }
});
