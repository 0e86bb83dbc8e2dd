import { describe, expect, it } from 'vitest';
import { editDistance, nearNames } from './near-names.js';

describe('nearNames', () => {
  it('counts edits (kitten → sitting: 3; empty → abc: 3; equal: 0)', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('resnet50', 'resnet50')).toBe(0);
  });

  it('suggests typos and completions, nearest first, and nothing for a far name', () => {
    const names = ['resnet18', 'resnet50', 'resnet152', 'deit_tiny_patch16_224', 'deit_tiny_distilled_patch16_224'];
    // resnet05 is 2 edits from each resnet (50: two substitutions; 18: two; 152: one substitution, one insertion): ties alphabetical.
    expect(nearNames('resnet05', names)).toEqual(['resnet152', 'resnet18', 'resnet50']);
    expect(nearNames('Resnet50', names)).toEqual(['resnet50', 'resnet152', 'resnet18']);
    expect(nearNames('Resnet50', names, 1)).toEqual(['resnet50']);
    expect(nearNames('deit_tiny', names)).toEqual(['deit_tiny_patch16_224', 'deit_tiny_distilled_patch16_224']);
    expect(nearNames('efficientnet_b0', names)).toEqual([]);
  });
});
