// The worker thread of an OrtTeacher: owns one ONNX Runtime session. Requests arrive as messages; each reply goes to
// the dedicated port, then the control word is bumped and notified, so the main thread can wait for it synchronously
// (Atomics.wait + receiveMessageOnPort) or asynchronously (Atomics.waitAsync).
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { loadOrt } from './ort-loader.js';

/** What the main thread passes to the worker. */
export interface OrtWorkerInit {
  model: string | Uint8Array;
  intraOpThreads: number;
  interOpThreads: number;
  packageName?: string;
  control: SharedArrayBuffer;
  port: MessagePort;
}

/** A request: NCHW pixels and their dims. */
export interface OrtWorkerRequest {
  pixels: Float32Array;
  dims: [number, number, number, number];
}

/** A reply: logits `[batch, classes]`, or the error that prevented them. */
export type OrtWorkerReply = { logits: Float32Array; numClasses: number } | { error: string; code: string };

const init = workerData as OrtWorkerInit;
const control = new Int32Array(init.control);

function reply(message: OrtWorkerReply, transfer: ArrayBuffer[] = []): void {
  init.port.postMessage(message, transfer);
  Atomics.add(control, 0, 1);
  Atomics.notify(control, 0);
}

function failure(err: unknown): { error: string; code: string } {
  const code = (err as { code?: unknown } | null)?.code;
  return { error: err instanceof Error ? err.message : String(err), code: typeof code === 'string' ? code : 'E_ORT' };
}

async function main(): Promise<void> {
  const ort = await loadOrt({ packageName: init.packageName });
  const session = await ort.InferenceSession.create(init.model, {
    intraOpNumThreads: init.intraOpThreads,
    interOpNumThreads: init.interOpThreads,
    graphOptimizationLevel: 'all',
    executionProviders: ['cpu'],
  });
  const outputShape = (session as { outputMetadata?: ReadonlyArray<{ name: string; shape?: ReadonlyArray<number | string> }> }).outputMetadata?.find(
    (m) => m.name === 'logits',
  )?.shape;
  parentPort!.postMessage({ ready: true, outputs: session.outputNames, numClasses: outputShape?.[1] });
  parentPort!.on('message', (req: OrtWorkerRequest) => {
    session.run({ pixel_values: new ort.Tensor('float32', req.pixels, req.dims) }).then(
      (out) => {
        const logits = out.logits;
        if (logits === undefined || !(logits.data instanceof Float32Array)) return reply({ error: 'the model has no float32 output logits', code: 'E_ORT' });
        // A copy we own, so its buffer can be transferred.
        const data = new Float32Array(logits.data);
        reply({ logits: data, numClasses: logits.dims[1]! }, [data.buffer]);
      },
      (err: unknown) => reply(failure(err)),
    );
  });
}

main().catch((err: unknown) => parentPort!.postMessage({ ready: false, ...failure(err) }));
