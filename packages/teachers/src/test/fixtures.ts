// Helpers shared by this package's tests (not exported from the package).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type HostTensor, type StateDict, maxAbsDiff, nchwToNhwc, readSafetensors, relL2Error, tf, toFloat32 } from '@deitjs/core';
import { expect } from 'vitest';
import type { ConvNet } from '../convnet.js';

/** Absolute path of a file in the repo's `fixtures/` folder. */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../../../../fixtures/${name}`, import.meta.url));
}

/** Reads a fixture safetensors file. */
export function readFixture(name: string): StateDict {
  return readSafetensors(fixturePath(name));
}

/** A fixture NCHW tensor as NHWC float32 data (images and feature maps); others unchanged. */
export function toNhwcData(t: HostTensor): Float32Array {
  const data = toFloat32(t);
  return t.shape.length === 4 ? nchwToNhwc(data, t.shape).data : data;
}

/** The fixture's NCHW `inputs` as an NHWC tensor. */
export function fixtureInputs(io: StateDict): tf.Tensor4D {
  const t = io.get('inputs')!;
  const [n, c, h, w] = t.shape as [number, number, number, number];
  return tf.tensor4d(toNhwcData(t), [n, h, w, c]);
}

interface ManifestEntry {
  model?: string;
  outputs?: Record<string, { suggested_atol: number }>;
  checks?: Record<string, unknown>;
}
let manifest: ManifestEntry[] | undefined;

/** The fixture manifest's suggested absolute tolerance of output `key` of fixture `model` (float32 noise × 50). */
export function suggestedAtol(model: string, key: string): number | undefined {
  manifest ??= (JSON.parse(readFileSync(fixturePath('MANIFEST.json'), 'utf8')) as { fixtures: ManifestEntry[] }).fixtures;
  return manifest.find((f) => f.model === model)?.outputs?.[key]?.suggested_atol;
}

/** A numeric `checks.<name>` value of fixture `model` in the manifest. */
export function manifestCheck(model: string, name: string): number | undefined {
  suggestedAtol(model, 'logits');
  const v = manifest!.find((f) => f.model === model)?.checks?.[name];
  return typeof v === 'number' ? v : undefined;
}

/** Relative L2 tolerance of the PyTorch parity checks. */
export const REL_TOL = 1e-4;

/** Compares (and prints) every stored output of a fixture with the model's; returns the worst relative L2 error. */
export function compareWithFixture(model: ConvNet, io: StateDict, label: string, outName: (k: string) => string, fixture?: string): number {
  const x = fixtureInputs(io);
  const out = model.forwardWithIntermediates(x, { training: false });
  let worst = 0;
  for (const [key, expected] of io) {
    if (key === 'inputs') continue;
    const ours = key === 'logits' ? out.logits : key === 'pre_logits' ? out.preLogits : out.features.get(outName(key.slice(4)));
    expect(ours, `${label}: no output for ${key}`).toBeDefined();
    const want = toNhwcData(expected);
    const got = ours!.dataSync();
    const rel = relL2Error(got, want);
    const mad = maxAbsDiff(got, want);
    const atol = fixture === undefined ? undefined : suggestedAtol(fixture, key);
    console.log(`${label} ${key}: rel L2 ${rel.toExponential(2)}, max abs ${mad.toExponential(2)}${atol === undefined ? '' : ` (atol ${atol})`}`);
    expect(rel, `${label} ${key}`).toBeLessThanOrEqual(REL_TOL);
    if (fixture !== undefined) {
      expect(atol, `${fixture} ${key} in MANIFEST.json`).toBeDefined();
      expect(mad, `${label} ${key}`).toBeLessThanOrEqual(atol!);
    }
    worst = Math.max(worst, rel);
  }
  x.dispose();
  out.logits.dispose();
  out.preLogits.dispose();
  for (const t of out.features.values()) t.dispose();
  return worst;
}

