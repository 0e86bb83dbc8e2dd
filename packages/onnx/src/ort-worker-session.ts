import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { DeitError, ShapeError, workerScript } from '@deitjs/core';
import { onnxModelPath } from './model-path.js';
import { ORT_PACKAGE, OrtUnavailableError } from './ort-loader.js';
import type { OrtWorkerInit, OrtWorkerReady, OrtWorkerReply, OrtWorkerRequest } from './ort-worker.js';
import { intraOpThreads } from './threads.js';

/** Options of {@link OrtWorkerSession.create}. */
export interface OrtWorkerSessionOptions {
  /** Threads of ONNX Runtime's intra-op pool (default 0: one per physical core, counted by `physicalCores`). */
  intraOpThreads?: number;
  /**
   * Whether the intra-op threads spin after a run (ONNX Runtime's default: yes). Turn it off when another session
   * (e.g. the training step's) runs on the same cores between this one's runs.
   */
  allowSpinning?: boolean;
  /** The onnxruntime package the worker imports (default `onnxruntime-node`). */
  packageName?: string;
}

/** Output tensors of one run, by output name: row-major data and shape. */
export type OrtOutputs = Record<string, { data: Float32Array; dims: number[] }>;

// Atomics.waitAsync (Node ≥ 16) is missing from TypeScript's ES2022 library.
const atomics = Atomics as unknown as { waitAsync(a: Int32Array, index: number, value: number): { value: Promise<string> | string } };

function workerError(reply: { error: string; code: string }, packageName: string): DeitError {
  if (reply.code === 'E_ORT_UNAVAILABLE') return new OrtUnavailableError(packageName, reply.error, undefined);
  return new DeitError(reply.code.startsWith('E_') ? reply.code : 'E_ORT', `ONNX Runtime: ${reply.error}`);
}

/**
 * An ONNX Runtime session in a worker thread, runnable synchronously (`runSync` blocks the calling thread until the
 * worker replies: what core's synchronous `Classifier.apply` and `Teacher.predict` need) or asynchronously (`run`:
 * the calling thread stays free, e.g. for the student's step). One run at a time. Input `pixel_values` (NCHW).
 */
export class OrtWorkerSession {
  private busy = false;

  private constructor(
    private readonly worker: Worker,
    private readonly port: MessagePort,
    private readonly control: Int32Array,
    private readonly packageName: string,
    /** The input's `[C, H, W]` when the model fixes them (undefined axes are symbolic). */
    readonly inputShape: ReadonlyArray<number | undefined>,
    /** The outputs' names and shapes (symbolic axes as strings). */
    readonly outputs: ReadonlyArray<{ name: string; shape: ReadonlyArray<number | string> }>,
  ) {}

  /** Starts the worker and opens the session on an `.onnx` file (or an exported folder) or the file's bytes. */
  static async create(model: string | Uint8Array, options: OrtWorkerSessionOptions = {}): Promise<OrtWorkerSession> {
    const intra = intraOpThreads(options.intraOpThreads);
    const packageName = options.packageName ?? ORT_PACKAGE;
    const script = await workerScript(new URL('./ort-worker.js', import.meta.url), new URL('./ort-worker.ts', import.meta.url), 'ONNX Runtime worker');
    const control = new SharedArrayBuffer(4);
    const { port1, port2 } = new MessageChannel();
    const init: OrtWorkerInit = { model: typeof model === 'string' ? onnxModelPath(model) : model, intraOpThreads: intra, interOpThreads: 1, packageName, control, port: port2, ...(options.allowSpinning === undefined ? {} : { allowSpinning: options.allowSpinning }) };
    const worker = new Worker(script, { workerData: init, transferList: [port2] });
    const ready = await new Promise<OrtWorkerReady>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if (!ready.ready) {
      await worker.terminate();
      throw workerError({ error: ready.error ?? 'unknown error', code: ready.code ?? 'E_ORT' }, packageName);
    }
    worker.unref();
    const inputShape = (ready.inputShape ?? []).slice(1).map((d) => (typeof d === 'number' && d > 0 ? d : undefined));
    return new OrtWorkerSession(worker, port1, new Int32Array(control), packageName, inputShape, ready.outputs ?? []);
  }

  /** Runs the model on NCHW pixels, blocking the calling thread until the outputs are back. */
  runSync(pixels: Float32Array, dims: readonly [number, number, number, number]): OrtOutputs {
    const seq = this.send(pixels, dims);
    while (Atomics.load(this.control, 0) === seq) Atomics.wait(this.control, 0, seq);
    return this.receive();
  }

  /** Runs the model on NCHW pixels without blocking. */
  async run(pixels: Float32Array, dims: readonly [number, number, number, number]): Promise<OrtOutputs> {
    const seq = this.send(pixels, dims);
    // A pending waitAsync does not keep Node's event loop alive; the worker does while it is referenced.
    this.worker.ref();
    try {
      while (Atomics.load(this.control, 0) === seq) await atomics.waitAsync(this.control, 0, seq).value;
    } finally {
      this.worker.unref();
    }
    return this.receive();
  }

  /** Stops the worker and frees its session. */
  async dispose(): Promise<void> {
    this.port.close();
    await this.worker.terminate();
  }

  private send(pixels: Float32Array, dims: readonly [number, number, number, number]): number {
    if (pixels.length !== dims.reduce((a, b) => a * b, 1)) throw new ShapeError('pixels', `${pixels.length} values for shape [${dims.join(',')}]`);
    this.inputShape.forEach((d, i) => {
      if (d !== undefined && dims[i + 1] !== d) {
        throw new ShapeError('pixels', `the model takes [batch, ${this.inputShape.map((x) => x ?? '?').join(', ')}], got [${dims.join(',')}]`);
      }
    });
    if (this.busy) throw new DeitError('E_ORT', 'one run at a time on an ONNX Runtime worker (await the previous run first)');
    this.busy = true;
    const seq = Atomics.load(this.control, 0);
    const request: OrtWorkerRequest = { pixels, dims: [...dims] as OrtWorkerRequest['dims'] };
    // The pixels are copied into the message (not transferred): the caller keeps its array.
    this.worker.postMessage(request);
    return seq;
  }

  private receive(): OrtOutputs {
    this.busy = false;
    const reply = receiveMessageOnPort(this.port)?.message as OrtWorkerReply | undefined;
    if (reply === undefined) throw new DeitError('E_ORT', 'the ONNX Runtime worker signalled a reply but sent none');
    if ('error' in reply) throw workerError(reply, this.packageName);
    return reply.outputs;
  }
}
