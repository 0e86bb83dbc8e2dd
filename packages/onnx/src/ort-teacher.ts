import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { ConfigError, DeitError, IMAGENET_NORMALIZATION, type Normalization, ShapeError, type Teacher, nhwcToNchw, tf, workerScript } from '@deitjs/core';
import { renormalize } from '@deitjs/teachers';
import { ORT_PACKAGE, OrtUnavailableError } from './ort-loader.js';
import type { OrtWorkerInit, OrtWorkerReply, OrtWorkerRequest } from './ort-worker.js';

/** Options of {@link OrtTeacher.create}. */
export interface OrtTeacherOptions {
  /** A short name for logs (default `onnx`). */
  name?: string;
  /** Threads of ONNX Runtime's intra-op pool (default 0: one per core). */
  intraOpThreads?: number;
  /** The onnxruntime package the worker imports (default `onnxruntime-node`). */
  packageName?: string;
  /** Normalisation of the images `predict` receives (the student's; default ImageNet). */
  inputNormalization?: Normalization;
  /** Normalisation the exported model expects (default ImageNet, as the timm teachers). */
  normalization?: Normalization;
}

interface Ready {
  ready: boolean;
  outputs?: string[];
  numClasses?: number | string;
  error?: string;
  code?: string;
}

// Atomics.waitAsync (Node ≥ 16) is missing from TypeScript's ES2022 library.
const atomics = Atomics as unknown as { waitAsync(a: Int32Array, index: number, value: number): { value: Promise<string> | string } };
const waitAsync = async (control: Int32Array, seq: number): Promise<void> => {
  await atomics.waitAsync(control, 0, seq).value;
};

function workerError(reply: { error: string; code: string }, packageName: string): DeitError {
  if (reply.code === 'E_ORT_UNAVAILABLE') return new OrtUnavailableError(packageName, reply.error, undefined);
  return new DeitError(reply.code.startsWith('E_') ? reply.code : 'E_ORT', `ONNX Runtime: ${reply.error}`);
}

/**
 * A frozen teacher run by ONNX Runtime in a worker thread: core's synchronous {@link Teacher} (`predict` blocks the
 * calling thread on the worker's reply) plus {@link OrtTeacher.predictAsync}, which lets the caller run the student's
 * step while the teacher computes. Takes the student's NHWC batch, re-normalises it when the teacher expects other
 * statistics, and returns logits `[batch, classes]` owned by the caller.
 */
export class OrtTeacher implements Teacher {
  readonly name: string;
  readonly numClasses: number;
  private busy = false;

  private constructor(
    private readonly worker: Worker,
    private readonly port: MessagePort,
    private readonly control: Int32Array,
    numClasses: number,
    private readonly options: OrtTeacherOptions,
  ) {
    this.name = options.name ?? 'onnx';
    this.numClasses = numClasses;
  }

  /** Starts a worker with an ONNX Runtime session on an `.onnx` file path or bytes (a model with output `logits`). */
  static async create(model: string | Uint8Array, options: OrtTeacherOptions = {}): Promise<OrtTeacher> {
    const intra = options.intraOpThreads ?? 0;
    if (!Number.isInteger(intra) || intra < 0) throw new ConfigError('intraOpThreads', `must be a non-negative integer, got ${intra}`);
    const script = await workerScript(new URL('./ort-worker.js', import.meta.url), new URL('./ort-worker.ts', import.meta.url), 'ONNX Runtime teacher worker');
    const control = new SharedArrayBuffer(4);
    const { port1, port2 } = new MessageChannel();
    const init: OrtWorkerInit = { model, intraOpThreads: intra, interOpThreads: 1, packageName: options.packageName, control, port: port2 };
    const worker = new Worker(script, { workerData: init, transferList: [port2] });
    const ready = await new Promise<Ready>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if (!ready.ready) {
      await worker.terminate();
      throw workerError({ error: ready.error ?? 'unknown', code: ready.code ?? 'E_ORT' }, options.packageName ?? ORT_PACKAGE);
    }
    worker.unref();
    const numClasses = Number(ready.numClasses);
    if (!(numClasses > 0)) {
      await worker.terminate();
      throw new ConfigError('model', 'the ONNX model has no output logits [batch, classes] with a fixed class count');
    }
    return new OrtTeacher(worker, port1, new Int32Array(control), numClasses, options);
  }

  /** Teacher logits for a batch of the student's NHWC images; blocks until ONNX Runtime has them. */
  predict(images: tf.Tensor4D): tf.Tensor2D {
    const seq = this.send(images);
    while (Atomics.load(this.control, 0) === seq) Atomics.wait(this.control, 0, seq);
    return this.receive(images.shape[0]);
  }

  /** The same logits, without blocking: the student can compute while the teacher's batch runs. */
  async predictAsync(images: tf.Tensor4D): Promise<tf.Tensor2D> {
    const seq = this.send(images);
    // A pending waitAsync does not keep Node's event loop alive; the worker does while it is referenced.
    this.worker.ref();
    try {
      while (Atomics.load(this.control, 0) === seq) await waitAsync(this.control, seq);
    } finally {
      this.worker.unref();
    }
    return this.receive(images.shape[0]);
  }

  /** Stops the worker and frees its session. */
  async dispose(): Promise<void> {
    this.port.close();
    await this.worker.terminate();
  }

  private send(images: tf.Tensor4D): number {
    if (images.rank !== 4 || images.shape[3] !== 3) throw new ShapeError('images', `expected NHWC [batch, H, W, 3], got [${images.shape.join(',')}]`);
    if (this.busy) throw new DeitError('E_ORT', `teacher ${this.name}: one batch at a time (await the previous predictAsync first)`);
    const from = this.options.inputNormalization ?? IMAGENET_NORMALIZATION;
    const x = renormalize(images, from, this.options.normalization ?? IMAGENET_NORMALIZATION);
    const [n, h, w, c] = images.shape;
    const pixels = nhwcToNchw(x.dataSync() as Float32Array, images.shape).data;
    if (x !== images) x.dispose();
    const seq = Atomics.load(this.control, 0);
    this.busy = true;
    const request: OrtWorkerRequest = { pixels, dims: [n, c, h, w] };
    this.worker.postMessage(request, [pixels.buffer as ArrayBuffer]);
    return seq;
  }

  private receive(batch: number): tf.Tensor2D {
    this.busy = false;
    const reply = receiveMessageOnPort(this.port)?.message as OrtWorkerReply | undefined;
    if (reply === undefined) throw new DeitError('E_ORT', `teacher ${this.name}: the worker signalled a reply but sent none`);
    if ('error' in reply) throw workerError(reply, this.options.packageName ?? ORT_PACKAGE);
    return tf.tensor2d(reply.logits, [batch, reply.numClasses]);
  }
}
