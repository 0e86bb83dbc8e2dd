// The micro DeiT of the fixtures as a bag of parameters: its PyTorch names, TF.js shapes and layouts (values random).
import { readFileSync } from 'node:fs';
import { type Layout, tfShapeOf } from '@deitjs/core';

interface Manifest {
  fixtures: { model: string; weights?: { tensors: Record<string, number[]> } }[];
}

/** `[name, TF.js shape, layout]` of every tensor of `deit_micro_distilled_patch4_32`, in state-dict order. */
export function microDeitEntries(): [string, number[], Layout][] {
  const manifest = JSON.parse(readFileSync(new URL('../../../../fixtures/MANIFEST.json', import.meta.url), 'utf8')) as Manifest;
  const shapes = manifest.fixtures.find((f) => f.model === 'deit_micro_distilled_patch4_32')!.weights!.tensors;
  return Object.entries(shapes).map(([name, shape]) => {
    const layout: Layout = shape.length === 4 ? 'conv2d' : shape.length === 2 && name.endsWith('.weight') ? 'linear' : 'as-is';
    return [name, tfShapeOf(layout, shape), layout];
  });
}
