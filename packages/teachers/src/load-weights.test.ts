import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError, StateDictMismatchError, tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { describe, expect, it } from 'vitest';
import { detectNaming, toTimmNames, torchvisionRegNetKeyToTimm } from './checkpoint-names.js';
import { checkpointNumClasses, loadConvNetWeights } from './load-weights.js';
import { RegNet } from './regnet.js';
import { createConvNet } from './registry.js';
import { ResNet } from './resnet.js';
import { compareWithFixture, fixturePath, readFixture } from './test/fixtures.js';

const TINY_REGNET = { depth: 5, w0: 8, wa: 10, wm: 2, groupSize: 8, seRatio: 0.25 };
const bottleneck = () =>
  new ResNet({ block: 'bottleneck', depths: [1, 1, 1, 1], channels: [4, 8, 16, 32], stem: 'imagenet', stemWidth: 64 }, { numClasses: 10 });

describe('torchvision → timm names', () => {
  it('renames every torchvision RegNet key as in spec §5.2', () => {
    expect(torchvisionRegNetKeyToTimm('stem.0.weight')).toBe('stem.conv.weight');
    expect(torchvisionRegNetKeyToTimm('stem.1.running_var')).toBe('stem.bn.running_var');
    expect(torchvisionRegNetKeyToTimm('trunk_output.block3.block3-1.f.a.0.weight')).toBe('s3.b2.conv1.conv.weight');
    expect(torchvisionRegNetKeyToTimm('trunk_output.block1.block1-0.f.b.1.bias')).toBe('s1.b1.conv2.bn.bias');
    expect(torchvisionRegNetKeyToTimm('trunk_output.block2.block2-0.f.se.fc2.weight')).toBe('s2.b1.se.fc2.weight');
    expect(torchvisionRegNetKeyToTimm('trunk_output.block4.block4-0.f.c.1.weight')).toBe('s4.b1.conv3.bn.weight');
    expect(torchvisionRegNetKeyToTimm('trunk_output.block4.block4-0.proj.0.weight')).toBe('s4.b1.downsample.conv.weight');
    expect(torchvisionRegNetKeyToTimm('trunk_output.block4.block4-0.proj.1.running_mean')).toBe('s4.b1.downsample.bn.running_mean');
    expect(torchvisionRegNetKeyToTimm('fc.bias')).toBe('head.fc.bias');
  });

  it('detects the naming from the keys and leaves timm/ResNet names alone', () => {
    const tv = readFixture('tv_regnet_y_tiny.safetensors');
    const timm = readFixture('timm_regnety_tiny.safetensors');
    expect(detectNaming(tv.keys())).toBe('torchvision-regnet');
    expect(detectNaming(timm.keys())).toBe('timm');
    expect(detectNaming(readFixture('tv_resnet_basic_tiny.safetensors').keys())).toBe('timm');
    // Renamed torchvision keys are exactly timm's keys, with the same shapes.
    const renamed = toTimmNames(tv);
    expect([...renamed.keys()].sort()).toEqual([...timm.keys()].sort());
    for (const [k, t] of renamed) expect(t.shape, k).toEqual(timm.get(k)!.shape);
  });

  it('strips a DataParallel module. prefix', () => {
    const sd = readFixture('timm_resnet_bottleneck_tiny.safetensors');
    const prefixed = new Map([...sd].map(([k, v]) => [`module.${k}`, v]));
    expect([...toTimmNames(prefixed).keys()]).toEqual([...sd.keys()]);
  });
});

describeOnBackends('loadConvNetWeights', (backend) => {
  for (const file of ['timm_resnet_bottleneck_tiny.safetensors', 'timm_resnet_bottleneck_tiny.pth', 'timm_resnet_bottleneck_tiny.legacy.pth']) {
    it(`loads ${file} and matches PyTorch`, () => {
      const model = bottleneck();
      const r = loadConvNetWeights(model, fixturePath(file));
      expect(r).toEqual({ renamed: false, reinitialisedClassifier: false });
      compareWithFixture(model, readFixture('timm_resnet_bottleneck_tiny.io.safetensors'), `${backend} ${file}`, (k) => k);
      model.dispose();
    });
  }

  it('loads torchvision RegNet weights by renaming them', () => {
    const model = new RegNet(TINY_REGNET, { numClasses: 10 });
    expect(loadConvNetWeights(model, fixturePath('tv_regnet_y_tiny.safetensors')).renamed).toBe(true);
    model.dispose();
  });

  it('re-initialises a classifier of another class count with a warning, loading the trunk', () => {
    const warnings: string[] = [];
    const model = new RegNet(TINY_REGNET, { numClasses: 5, seed: 4 });
    const r = loadConvNetWeights(model, fixturePath('timm_regnety_tiny.safetensors'), { warn: (m) => warnings.push(m) });
    expect(r.reinitialisedClassifier).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/10 classes, the model 5; head\.fc\.weight\/bias are re-initialised/);
    const io = readFixture('timm_regnety_tiny.io.safetensors');
    // The trunk is PyTorch's: pooled features still match; the logits have 5 columns.
    const out = model.forwardWithIntermediates(tf.zeros([1, 64, 64, 3]) as tf.Tensor4D, { training: false });
    expect(out.logits.shape).toEqual([1, 5]);
    tf.dispose([out.logits, out.preLogits, ...out.features.values()]);
    compareWithFixture(model, new Map([...io].filter(([k]) => k !== 'logits')), `${backend} reset head`, (k) => k);
    model.dispose();
  });

  it('infers the class count from the checkpoint and rejects a checkpoint of another architecture', () => {
    expect(checkpointNumClasses(readFixture('tv_regnet_y_tiny.safetensors'))).toBe(10);
    const before = tf.memory().numTensors;
    let err: unknown;
    try {
      createConvNet('resnet18', { weights: fixturePath('tv_resnet_basic_tiny.safetensors') });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateDictMismatchError);
    const e = err as StateDictMismatchError;
    expect(e.message).toContain('tv_resnet_basic_tiny.safetensors');
    expect(e.mismatched.some((m) => m.startsWith('layer2.0.conv1.weight: file [8,64,3,3] vs model [128,64,3,3]'))).toBe(true);
    expect(e.missing).toContain('layer1.1.conv1.weight');
    // The half-built model was freed.
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the file of an unreadable or empty checkpoint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'teachers-'));
    const bad = join(dir, 'broken.pth');
    writeFileSync(bad, 'not a checkpoint at all');
    const model = bottleneck();
    expect(() => loadConvNetWeights(model, bad)).toThrow(CheckpointError);
    expect(() => loadConvNetWeights(model, bad)).toThrow(/broken\.pth/);
    expect(() => loadConvNetWeights(model, new Map())).toThrow(/holds no tensors/);
    model.dispose();
  });
});
