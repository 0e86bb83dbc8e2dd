// The worker thread of an OrtWorkerSession: owns one ONNX Runtime session. Requests arrive as messages; each reply goes
// to the dedicated port, then the control word is bumped and notified, so the main thread can wait for it synchronously
// (Atomics.wait + receiveMessageOnPort) or asynchronously (Atomics.waitAsync).
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { loadOrt, spinningOptions } from './ort-loader.js';

/** What the main thread passes to the worker. */
export interface OrtWorkerInit {
  model: string | Uint8Array;
  intraOpThreads: number;
  interOpThreads: number;
  allowSpinning?: boolean;
  packageName?: string;
  control: SharedArrayBuffer;
  port: MessagePort;
}

/** A request: NCHW pixels and their dims, fed as `pixel_values`. */
export interface OrtWorkerRequest {
  pixels: Float32Array;
  dims: [number, number, number, number];
}

/** A reply: every float32 output by name, or the error that prevented them. */
export type OrtWorkerReply = { outputs: Record<string, { data: Float32Array; dims: number[] }> } | { error: string; code: string };

/** The worker's first message (on `parentPort`): the session's interface, or why it could not be opened. */
export interface OrtWorkerReady {
  ready: boolean;
  inputShape?: Array<number | string>;
  outputs?: Array<{ name: string; shape: Array<number | string> }>;
  error?: string;
  code?: string;
}

type Metadata = ReadonlyArray<{ name: string; shape?: ReadonlyArray<number | string> }> | undefined;

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
    ...spinningOptions(init.allowSpinning),
  });
  const meta = session as unknown as { inputMetadata?: Metadata; outputMetadata?: Metadata };
  const ready: OrtWorkerReady = {
    ready: true,
    inputShape: [...(meta.inputMetadata?.find((m) => m.name === 'pixel_values')?.shape ?? [])],
    outputs: session.outputNames.map((name) => ({ name, shape: [...(meta.outputMetadata?.find((m) => m.name === name)?.shape ?? [])] })),
  };
  parentPort!.postMessage(ready);
  parentPort!.on('message', (req: OrtWorkerRequest) => {
    session.run({ pixel_values: new ort.Tensor('float32', req.pixels, req.dims) }).then(
      (out) => {
        const outputs: Record<string, { data: Float32Array; dims: number[] }> = {};
        const transfer: ArrayBuffer[] = [];
        for (const [name, value] of Object.entries(out)) {
          if (!(value.data instanceof Float32Array)) return reply({ error: `output ${name} is not float32`, code: 'E_ORT' });
          // A copy we own, so its buffer can be transferred.
          const data = new Float32Array(value.data);
          outputs[name] = { data, dims: [...value.dims] };
          transfer.push(data.buffer);
        }
        reply({ outputs }, transfer);
      },
      (err: unknown) => reply(failure(err)),
    );
  });
}

main().catch((err: unknown) => parentPort!.postMessage({ ready: false, ...failure(err) }));
