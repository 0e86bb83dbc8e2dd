import { ConfigError, type DistilledLogits, Rng, type StateDict, parseSafetensors, tf } from '@deitjs/core';
import { DeiT, createModel, isDeiTModel, loadWeights, modelConfig } from '@deitjs/models';
import type { ConvNet } from '@deitjs/teachers';
import { type WebRunConfig, parseRunConfig } from './run-config.js';

/** A model from a run directory's two files, ready to classify. */
export interface ModelBundle {
  /** Where it came from (shown on the page). */
  source: string;
  /** The run's configuration. */
  run: WebRunConfig;
  /** The model: a DeiT student or a CNN teacher. */
  model: DeiT | ConvNet;
  /** Input channels, read from the weights (1 for grey runs, 3 for runs that copy grey to RGB). */
  channels: number;
}

/** Input channels of a checkpoint: the second dimension of its first 4-D (convolution) weight. */
export function checkpointChannels(sd: StateDict, source: string): number {
  const first = sd.get('patch_embed.proj.weight') ?? [...sd.values()].find((t) => t.shape.length === 4);
  if (first === undefined) throw new ConfigError(source, 'has no convolution weight to read the input channels from');
  return first.shape[1]!;
}

/** Builds the run's architecture and loads the weights (timm names and layouts), for a DeiT or a CNN alike. */
export function buildModel(run: WebRunConfig, sd: StateDict, source: string): ModelBundle {
  const channels = checkpointChannels(sd, source);
  let model: DeiT | ConvNet;
  if (isDeiTModel(run.model)) {
    const deit = new DeiT({ ...modelConfig(run.model, { numClasses: run.numClasses, imgSize: run.imgSize }), inChans: channels }, new Rng(0));
    try {
      loadWeights(deit, sd, { source });
    } catch (err) {
      deit.dispose();
      throw err;
    }
    model = deit;
  } else {
    model = createModel(run.model, { numClasses: run.numClasses, inChannels: channels, weights: sd, source }) as ConvNet;
  }
  return { source, run, model, channels };
}

/** Parses run.json text and safetensors bytes into a {@link ModelBundle}. */
export function loadBundle(runJson: string, weights: ArrayBuffer, source: string): ModelBundle {
  let json: unknown;
  try {
    json = JSON.parse(runJson);
  } catch (err) {
    throw new ConfigError(`${source}/run.json`, `is not valid JSON (${(err as Error).message})`);
  }
  const run = parseRunConfig(json, `${source}/run.json`);
  return buildModel(run, parseSafetensors(weights, { source: `${source}/model.safetensors` }), source);
}

/** Fetches `<base>/run.json` and `<base>/model.safetensors` and loads them. */
export async function fetchBundle(base: string): Promise<ModelBundle> {
  const [runJson, weights] = await Promise.all([
    fetch(`${base}/run.json`).then((r) => (r.ok ? r.text() : Promise.reject(new Error(`${base}/run.json: HTTP ${r.status}`)))),
    fetch(`${base}/model.safetensors`).then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(`${base}/model.safetensors: HTTP ${r.status}`)))),
  ]);
  return loadBundle(runJson, weights, base);
}

/** Logits of one forward pass in eval mode: both heads of a distilled DeiT, else the single head as `cls`. */
export interface HeadLogits {
  /** The class head (or the model's only output). */
  cls: Float32Array;
  /** The distillation head, distilled DeiTs only. */
  dist?: Float32Array;
  /** What the model predicts at eval: the mean of the two heads, or the single head. */
  mean: Float32Array;
}

/** Runs the model on one input `[H, W, C]` and returns its logits. */
export function classify(bundle: ModelBundle, input: Float32Array): HeadLogits {
  const n = bundle.run.imgSize;
  const x = tf.tensor4d(input, [1, n, n, bundle.channels]);
  const out = bundle.model.apply(x, { training: false, returnBoth: true }) as tf.Tensor2D | DistilledLogits;
  x.dispose();
  if ('cls' in out) {
    const cls = out.cls.dataSync() as Float32Array;
    const dist = out.dist.dataSync() as Float32Array;
    tf.dispose([out.cls, out.dist]);
    return { cls, dist, mean: cls.map((v, i) => (v + dist[i]!) / 2) };
  }
  const cls = out.dataSync() as Float32Array;
  out.dispose();
  return { cls, mean: cls };
}

/** Softmax probabilities of logits. */
export function softmax(logits: Float32Array): Float32Array {
  const m = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** The `k` most probable classes, best first. */
export function topK(logits: Float32Array, k: number): { index: number; p: number }[] {
  const p = softmax(logits);
  return [...p].map((v, index) => ({ index, p: v })).sort((a, b) => b.p - a.p).slice(0, k);
}

/** Index of the largest logit. */
export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}
