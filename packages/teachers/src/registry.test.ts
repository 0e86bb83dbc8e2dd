import { ConfigError, initBackend } from '@deitjs/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { RegNet } from './regnet.js';
import { REGNETY_PARAMS, generateRegNetStages } from './regnet-config.js';
import { createConvNet, listTeachers, teacherArchitecture } from './registry.js';
import { ResNet } from './resnet.js';

// timm's published parameter counts of its regnety_* models, in millions (timm model tables / `timm.list_models` docs).
const TIMM_PARAMS_M: Record<string, number> = {
  regnety_002: 3.16,
  regnety_004: 4.34,
  regnety_006: 6.06,
  regnety_008: 6.26,
  regnety_016: 11.2,
  regnety_032: 19.44,
  regnety_040: 20.65,
  regnety_064: 30.58,
  regnety_080: 39.18,
  regnety_120: 51.82,
  regnety_160: 83.59,
  regnety_320: 145.05,
};

/** Parameter count of a RegNetY from its stages, counted layer by layer as in spec §5.1 (an independent tally). */
function countRegNetY(name: string): number {
  const p = REGNETY_PARAMS[name]!;
  let n = 3 * 9 * 32 + 2 * 32;
  let cin = 32;
  for (const s of generateRegNetStages(p)) {
    for (let j = 0; j < s.depth; j++) {
      const bin = j === 0 ? cin : s.width;
      const w = s.width;
      const se = Math.round(bin * 0.25);
      n += bin * w + 2 * w; // conv1 + bn
      n += 9 * s.groupSize * w + 2 * w; // grouped conv2 + bn: (w / g) groups of g×g×3×3
      n += w * se + se + se * w + w; // SE fc1, fc2
      n += w * w + 2 * w; // conv3 + bn
      if (j === 0) n += bin * w + 2 * w; // downsample
    }
    cin = s.width;
  }
  return n + cin * 1000 + 1000;
}

describe('registry', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('lists timm regnety_002..320, resnet18..152 and the small-image variants', () => {
    const names = listTeachers().map((t) => t.name);
    for (const n of Object.keys(TIMM_PARAMS_M)) expect(names).toContain(n);
    for (const n of ['resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152', 'resnet_mnist', 'resnet_tiny_cifar', 'resnet18_cifar']) {
      expect(names).toContain(n);
    }
    expect(teacherArchitecture('regnety_160').imageSize).toBe(224);
    expect(() => teacherArchitecture('regnety_999')).toThrow(ConfigError);
    expect(() => createConvNet('vit_base')).toThrow(/unknown teacher "vit_base"/);
  });

  it('generates regnety_160 = widths 224/448/1232/3024, depths 2/4/11/1, group width 112', () => {
    const stages = generateRegNetStages(REGNETY_PARAMS.regnety_160!);
    expect(stages.map((s) => s.width)).toEqual([224, 448, 1232, 3024]);
    expect(stages.map((s) => s.depth)).toEqual([2, 4, 11, 1]);
    expect(stages.every((s) => s.groupSize === 112 && s.stride === 2)).toBe(true);
  });

  it('every regnety config has timm’s published parameter count', () => {
    for (const [name, m] of Object.entries(TIMM_PARAMS_M)) expect(countRegNetY(name) / 1e6, name).toBeCloseTo(m, 2);
  });

  it('builds regnety_160 with 83,590,140 parameters', () => {
    const model = new RegNet(REGNETY_PARAMS.regnety_160!, { init: 'zeros' });
    expect(model.numParams()).toBe(83_590_140);
    expect(model.numParams()).toBe(countRegNetY('regnety_160'));
    model.dispose();
  });

  it('builds resnet50 (25,557,032) and resnet18 (11,689,512) with timm key names', () => {
    const cfg = { channels: [64, 128, 256, 512], stem: 'imagenet' as const, stemWidth: 64 };
    const r50 = new ResNet({ ...cfg, block: 'bottleneck', depths: [3, 4, 6, 3] }, { init: 'zeros' });
    expect(r50.numParams()).toBe(25_557_032);
    const keys = [...r50.namedParams().keys()];
    expect(keys.length + 53).toBe(320); // + one num_batches_tracked per BatchNorm, which we do not keep
    expect(keys).toContain('layer1.0.downsample.0.weight');
    expect(keys).toContain('layer4.2.bn3.running_var');
    expect(r50.stateDict().get('layer2.0.downsample.0.weight')!.shape).toEqual([512, 256, 1, 1]);
    r50.dispose();
    const r18 = new ResNet({ ...cfg, block: 'basic', depths: [2, 2, 2, 2] }, { init: 'zeros' });
    expect(r18.numParams()).toBe(11_689_512);
    expect([...r18.namedParams().keys()].filter((k) => k.includes('downsample')).length).toBe(3 * 5);
    r18.dispose();
  });

  it('resnet_mnist is the ~78k-parameter demo CNN (3×3 stem 16, stages 16/32/64)', () => {
    const m = createConvNet('resnet_mnist');
    // stem 3·9·16 + BN; stage1 2·(16·9·16) + 2 BN; stage2 16·9·32 + 32·9·32 + 16·32 + 3 BN; stage3 likewise ×2; fc 64·10 + 10.
    const hand = 432 + 32 + (4608 + 64) + (4608 + 9216 + 512 + 192) + (18432 + 36864 + 2048 + 384) + 650;
    expect(m.numParams()).toBe(hand);
    expect(m.numClasses).toBe(10);
    m.dispose();
  });

  it("carries timm's pretrained cfg of each name's default tag (timm resnet.py, regnet.py)", () => {
    const imagenet = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
    // resnet50.a1_in1k (`_rcfg`): 224, crop 0.95, bicubic, conv1 / fc.
    expect(teacherArchitecture('resnet50').pretrainedCfg).toEqual({
      tag: 'a1_in1k', numClasses: 1000, inputSize: [3, 224, 224], cropPct: 0.95, interpolation: 'bicubic', ...imagenet, firstConv: 'conv1', classifier: ['fc'],
    });
    expect(teacherArchitecture('resnet152').pretrainedCfg.tag).toBe('a1h_in1k');
    // regnety_160.deit_in1k (`_cfg`): 224, crop 0.95, bicubic, stem.conv / head.fc; pycls 0.875; torchvision v2 0.965.
    expect(teacherArchitecture('regnety_160').pretrainedCfg).toEqual({
      tag: 'deit_in1k', numClasses: 1000, inputSize: [3, 224, 224], cropPct: 0.95, interpolation: 'bicubic', ...imagenet, firstConv: 'stem.conv', classifier: ['head.fc'],
    });
    expect(teacherArchitecture('regnety_002').pretrainedCfg).toMatchObject({ tag: 'pycls_in1k', cropPct: 0.875 });
    expect(teacherArchitecture('regnety_320').pretrainedCfg).toMatchObject({ tag: 'tv2_in1k', cropPct: 0.965 });
    // deitjs's small-image CNNs keep their plain preprocessing: no crop, 10 classes.
    expect(teacherArchitecture('resnet_mnist').pretrainedCfg).toMatchObject({ numClasses: 10, inputSize: [3, 32, 32], cropPct: 1, ...imagenet });
    expect(teacherArchitecture('resnet_mnist').pretrainedCfg.tag).toBeUndefined();
    for (const t of listTeachers()) {
      expect(t.imageSize, t.name).toBe(t.pretrainedCfg.inputSize[1]);
      expect(t.normalization, t.name).toEqual({ mean: t.pretrainedCfg.mean, std: t.pretrainedCfg.std });
    }
    // Callers get copies: changing one leaves the registry as it was.
    teacherArchitecture('resnet18').pretrainedCfg.mean[0] = 9;
    expect(teacherArchitecture('resnet18').normalization.mean[0]).toBe(0.485);
  });

  it('builds a CNN with its cfg class count by default (10 for the small-image ones)', () => {
    const m = createConvNet('resnet_tiny_cifar');
    expect(m.numClasses).toBe(10);
    m.dispose();
  });
});
