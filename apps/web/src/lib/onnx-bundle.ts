import type { InferenceSession } from 'onnxruntime-web';
import type { HeadLogits } from './model-bundle.js';
import { type OnnxPreprocessing, onnxInput, parseOnnxConfig } from './onnx-config.js';

/** An exported ONNX folder (`deit-eval export --format onnx`), ready to classify with onnxruntime-web. */
export interface OnnxBundle {
  /** Where it came from (shown on the page). */
  source: string;
  /** Labels and preprocessing from config.json and preprocessor_config.json. */
  prep: OnnxPreprocessing;
  /** Input channels, from the model's `pixel_values` shape `[N, C, H, W]`. */
  channels: number;
  /** Whether the model has the two heads' outputs `logits_cls` and `logits_dist`. */
  distilled: boolean;
  session: InferenceSession;
}

type Ort = typeof import('onnxruntime-web');
let ortModule: Promise<Ort> | undefined;

/**
 * onnxruntime-web, imported on first use (it is a separate chunk: the page does not load it unless an ONNX folder is
 * chosen), with its .wasm a bundled asset (no CDN) and one thread (its threaded workers re-import the bundle by URL,
 * which the app's minified chunk does not provide; one small model needs no threads).
 */
function ort(): Promise<Ort> {
  ortModule ??= Promise.all([import('onnxruntime-web/wasm'), import('onnxruntime-web/ort-wasm-simd-threaded.wasm?url')]).then(([m, wasm]) => {
    m.env.wasm.wasmPaths = { wasm: wasm.default };
    m.env.wasm.numThreads = 1;
    return m;
  });
  return ortModule;
}

/** The files of an exported folder among those chosen or dropped (a folder pick also lists the ones in `onnx/`). */
export function isOnnxFolder(files: File[]): boolean {
  return files.some((f) => f.name.endsWith('.onnx'));
}

/** Loads config.json, preprocessor_config.json and the .onnx file (`model.onnx` when several) into a session. */
export async function loadOnnxFolder(files: File[]): Promise<OnnxBundle> {
  const named = (name: string): File | undefined => files.find((f) => f.name === name);
  const onnx = named('model.onnx') ?? files.find((f) => f.name.endsWith('.onnx'));
  const config = named('config.json');
  const processor = named('preprocessor_config.json');
  if (!onnx || !config || !processor) throw new Error('choose config.json, preprocessor_config.json and onnx/model.onnx of an exported folder');
  const folder = (onnx.webkitRelativePath || onnx.name).split('/')[0]!;
  const source = folder.endsWith('.onnx') ? 'ONNX folder' : folder;
  const readJson = async (f: File): Promise<unknown> => {
    try {
      return JSON.parse(await f.text());
    } catch (err) {
      throw new Error(`${source}/${f.name} is not valid JSON (${(err as Error).message})`);
    }
  };
  const prep = parseOnnxConfig(await readJson(config), await readJson(processor), source);
  const { InferenceSession } = await ort();
  const session = await InferenceSession.create(new Uint8Array(await onnx.arrayBuffer()), { executionProviders: ['wasm'] });
  const input = session.inputMetadata.find((m) => m.name === 'pixel_values');
  if (!input?.isTensor) throw new Error(`${source}/${onnx.name}: no tensor input pixel_values (inputs: ${session.inputNames.join(', ')})`);
  const channels = input.shape[1];
  if (typeof channels !== 'number' || input.shape[2] !== prep.crop || input.shape[3] !== prep.crop) {
    throw new Error(`${source}/${onnx.name}: pixel_values is ${JSON.stringify(input.shape)}, expected [N, C, ${prep.crop}, ${prep.crop}] from the crop size`);
  }
  if (!session.outputNames.includes('logits')) throw new Error(`${source}/${onnx.name}: no output logits (outputs: ${session.outputNames.join(', ')})`);
  const distilled = session.outputNames.includes('logits_cls') && session.outputNames.includes('logits_dist');
  return { source, prep, channels, distilled, session };
}

/** Runs the exported model on a 28×28 digit: both heads and `logits` (their mean) for a distilled model, else `logits`. */
export async function classifyOnnx(bundle: OnnxBundle, digit: Uint8Array): Promise<HeadLogits> {
  const { Tensor } = await ort();
  const n = bundle.prep.crop;
  const x = new Tensor('float32', onnxInput(digit, bundle.prep, bundle.channels), [1, bundle.channels, n, n]);
  const out = await bundle.session.run({ pixel_values: x });
  x.dispose();
  const read = (name: string): Float32Array => Float32Array.from(out[name]!.data as Float32Array);
  const mean = read('logits');
  const logits: HeadLogits = bundle.distilled ? { cls: read('logits_cls'), dist: read('logits_dist'), mean } : { cls: mean, mean };
  for (const t of Object.values(out)) t.dispose();
  return logits;
}
