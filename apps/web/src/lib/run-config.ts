import { ConfigError } from '@deitjs/core';

/** What the page needs of a deit-train `run.json`: the architecture and how an image becomes the model's input. */
export interface WebRunConfig {
  /** `student` (a DeiT) or `teacher` (a CNN). */
  kind: 'student' | 'teacher';
  /** Registry name of the architecture. */
  model: string;
  /** Classes of the classifier. */
  numClasses: number;
  /** Input side in pixels. */
  imgSize: number;
  /** Whether the model has a distillation head. */
  distilled: boolean;
  /** Per-channel mean and std of the input normalisation (on 0–1 pixel values). */
  normalization: { mean: number[]; std: number[] };
  /** MNIST runs: the grey digit's side before padding and the zero padding (run.json `preprocessing.input`). */
  digit: { size: number; pad: number };
}

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const nums = (v: unknown): v is number[] => Array.isArray(v) && v.length >= 1 && v.every(num);

/**
 * Reads the fields of a run.json the page uses (a ConfigError names the file and field at fault). Runs without
 * `preprocessing.input` are taken as MNIST's 28 px digits with 2 px padding, what deit-train records for MNIST.
 */
export function parseRunConfig(json: unknown, source: string): WebRunConfig {
  const o = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const fail = (key: string, what: string): never => {
    throw new ConfigError(`${source} ${key}`, `must be ${what}, got ${JSON.stringify(o[key]) ?? 'nothing'}`);
  };
  const kind = o.kind === 'student' || o.kind === 'teacher' ? o.kind : fail('kind', '"student" or "teacher"');
  const model = typeof o.model === 'string' ? o.model : fail('model', 'a model name');
  const numClasses = Number.isInteger(o.numClasses) ? (o.numClasses as number) : fail('numClasses', 'an integer');
  const imgSize = Number.isInteger(o.imgSize) ? (o.imgSize as number) : fail('imgSize', 'an integer');
  const distilled = typeof o.distilled === 'boolean' ? o.distilled : fail('distilled', 'true or false');
  const n = (o.normalization ?? {}) as Record<string, unknown>;
  if (!nums(n.mean) || !nums(n.std) || n.std.some((s) => s <= 0)) fail('normalization', '{mean: numbers, std: positive numbers}');
  const input = ((o.preprocessing as Record<string, unknown> | undefined)?.input ?? {}) as Record<string, unknown>;
  const size = num(input.size) ? input.size : 28;
  const pad = num(input.pad) ? input.pad : 2;
  return { kind, model, numClasses, imgSize, distilled, normalization: { mean: n.mean as number[], std: n.std as number[] }, digit: { size, pad } };
}
