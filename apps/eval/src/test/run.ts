import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Normalization, toFloat32, writeSafetensors } from '@deitjs/core';
import { createModel } from '@deitjs/models';
import { RUN_FILES, RUN_FORMAT, type RunDataInfo, type RunPreprocessing, runPreprocessing, writeRunInfo } from '@deitjs/run';

/** What {@link makeRun} writes into run.json besides the model. */
export interface TestRunOptions {
  kind?: 'student' | 'teacher';
  seed?: number;
  data?: RunDataInfo;
  normalization?: Normalization;
  teacherRun?: string;
  /** run.json's `preprocessing` (default: what deit-train records for the data); `null` writes an older run.json without it. */
  preprocessing?: RunPreprocessing | null;
  /**
   * Make an untrained DeiT's predictions vary from image to image: cls/dist tokens shrunk, position embedding zeroed
   * (the prefix tokens then carry mostly what attention gathers from the patches) and heads scaled up.
   */
  inputDependent?: boolean;
  /** Input channels of the model (default 3; 1 records `inChans: 1` and a one-channel eval transform). */
  inChans?: 1 | 3;
}

/** A tiny MNIST split (3 test digits per class) for fast tests. */
export const TINY_MNIST: RunDataInfo = { data: 'mnist', dataSet: 'mnist', seed: 4, trainPerClass: 5, testPerClass: 3, pad: 2 };

/**
 * Writes a deit-train-shaped run directory (untrained weights of `model`, run.json) for tests; the backend must be
 * initialised. Returns the directory.
 */
export function makeRun(dir: string, model: string, o: TestRunOptions = {}): string {
  mkdirSync(dir, { recursive: true });
  const kind = o.kind ?? 'student';
  // One registry for DeiTs and CNNs; `kind` is what run.json records.
  const net = createModel(model, { seed: o.seed ?? 1, inChans: o.inChans ?? 3 });
  try {
    const sd = net.stateDict();
    if (o.inputDependent) {
      for (const [key, t] of sd) {
        const gain = { 'head.weight': 50, 'head_dist.weight': 50, 'fc.weight': 50, cls_token: 0.05, dist_token: 0.05, pos_embed: 0 }[key] ?? 1;
        if (gain !== 1) sd.set(key, { ...t, data: Float32Array.from(toFloat32(t), (v) => v * gain) });
      }
    }
    writeSafetensors(join(dir, RUN_FILES.model), sd, { format: 'pt' });
    const data = o.data ?? TINY_MNIST;
    const normalization = o.normalization ?? { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
    writeRunInfo(dir, {
      format: RUN_FORMAT,
      kind,
      model,
      numClasses: net.numClasses,
      imgSize: 32,
      ...(o.inChans === 1 ? { inChans: 1 as const } : {}),
      distilled: net.distilled,
      data,
      normalization,
      preprocessing: o.preprocessing ?? runPreprocessing(data, 32, normalization, undefined, o.inChans ?? 3),
      ...(o.teacherRun ? { teacherRun: o.teacherRun } : {}),
    });
    if (o.preprocessing === null) {
      // An older run.json: the same description without the preprocessing record.
      const file = join(dir, RUN_FILES.info);
      const { preprocessing: _, ...old } = JSON.parse(readFileSync(file, 'utf8'));
      writeFileSync(file, JSON.stringify(old));
    }
  } finally {
    net.dispose();
  }
  return dir;
}

/**
 * The images and labels of an MNIST run's split, loaded straight from the data set and normalised here (not through
 * the transforms deit-eval uses), as one NHWC float array: the independent side of the tests.
 */
export async function referenceMnist(
  data: RunDataInfo,
  normalization: Normalization,
  split: 'train' | 'test' = 'test',
): Promise<{ images: Float32Array; labels: number[]; n: number }> {
  const { mnistDataset } = await import('@deitjs/data');
  const ds = mnistDataset({ split, seed: data.seed, trainPerClass: data.trainPerClass, testPerClass: data.testPerClass, pad: data.pad });
  const px = 32 * 32 * 3;
  const images = new Float32Array(ds.length * px);
  const labels: number[] = [];
  for (let i = 0; i < ds.length; i++) {
    const { image, label } = await ds.get(i);
    if (image.width !== 32 || image.height !== 32) throw new Error(`expected a 32×32 digit, got ${image.width}×${image.height}`);
    for (let k = 0; k < px; k++) images[i * px + k] = (image.data[k]! / 255 - normalization.mean[k % 3]!) / normalization.std[k % 3]!;
    labels.push(label);
  }
  return { images, labels, n: ds.length };
}

/** Indices of the `k` largest values of a row (ties: the lower index first). */
export function topIndices(row: ArrayLike<number>, k: number): number[] {
  return Array.from(row, (v, i) => [v, i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, k)
    .map(([, i]) => i);
}
