import { ConfigError, initBackend, tf } from '@deitjs/core';
import { ConvNet, createConvNet } from '@deitjs/teachers';
import { beforeAll, describe, expect, it } from 'vitest';
import { DeiT } from './deit.js';
import { countParams, isDeiTModel, modelConfig } from './deit-variants.js';
import { createModel, listModels, pretrainedCfg, resolveModel } from './registry.js';

// deit-spec §1.1 (parameter counts computed from timm's module definitions).
const TIMM_PARAMS: Record<string, number> = {
  deit_tiny_patch16_224: 5_717_416,
  deit_small_patch16_224: 22_050_664,
  deit_base_patch16_224: 86_567_656,
  deit_base_patch16_384: 86_859_496,
  deit_tiny_distilled_patch16_224: 5_910_800,
  deit_small_distilled_patch16_224: 22_436_432,
  deit_base_distilled_patch16_224: 87_338_192,
  deit_base_distilled_patch16_384: 87_630_032,
};

describe('model registry', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it("lists timm's DeiT v1 names and the 32-px presets", () => {
    expect(listModels('deit').sort()).toEqual(
      [
        ...Object.keys(TIMM_PARAMS),
        'deit_micro_patch4_32',
        'deit_micro_distilled_patch4_32',
        'deit_tiny_patch4_32',
        'deit_tiny_distilled_patch4_32',
        'deit_mini_patch8_32',
        'deit_mini_distilled_patch8_32',
      ].sort(),
    );
  });

  it('counts the parameters of every timm variant exactly (§1.1 table)', () => {
    for (const [name, n] of Object.entries(TIMM_PARAMS)) expect(countParams(modelConfig(name)), name).toBe(n);
  });

  it('builds models whose allocated parameters equal the count (deit_tiny_distilled_patch16_224, micro presets)', () => {
    for (const name of ['deit_tiny_distilled_patch16_224', 'deit_micro_patch4_32', 'deit_micro_distilled_patch4_32']) {
      const m = createModel(name);
      expect(m.numParams(), name).toBe(countParams(modelConfig(name)));
      if (name in TIMM_PARAMS) expect(m.numParams()).toBe(TIMM_PARAMS[name]);
      m.dispose();
    }
  });

  it('matches the fixtures: micro models with 10 classes have 108,884 / 108,106 parameters', () => {
    expect(countParams(modelConfig('deit_micro_distilled_patch4_32'))).toBe(108_884);
    expect(countParams(modelConfig('deit_micro_patch4_32'))).toBe(108_106);
    // MNIST student of mnist-effect.md (207k there with 1 input channel; 3 channels add 2·64·64 patch weights):
    // patch 3·64·64+64, tokens 2·64 + pos 18·64, blocks 4·49,984, norm 128, heads 2·(64·10+10) = 214,996.
    expect(countParams(modelConfig('deit_mini_distilled_patch8_32'))).toBe(214_996);
    expect(countParams(modelConfig('deit_mini_distilled_patch8_32')) - 2 * 64 * 64).toBe(206_804);
    expect(modelConfig('deit_tiny_distilled_patch4_32')).toMatchObject({ embedDim: 192, depth: 12, numHeads: 3, patchSize: 4, imgSize: 32 });
  });

  it('applies options (classes, image size, drop path with default 0.1) and rejects unknown names', () => {
    expect(modelConfig('deit_base_patch16_224')).toMatchObject({ numClasses: 1000, dropPathRate: 0.1, imgSize: 224, embedDim: 768, numHeads: 12 });
    expect(modelConfig('deit_base_patch16_224', { numClasses: 5, imgSize: 384, dropPathRate: 0 })).toMatchObject({ numClasses: 5, imgSize: 384, dropPathRate: 0 });
    expect(() => modelConfig('deit_huge_patch14_224')).toThrow(ConfigError);
    expect(() => modelConfig('deit_huge_patch14_224')).toThrow(/deit_tiny_patch16_224/);
    expect(() => createModel('deit_micro_patch4_32', { numClasses: 0 })).toThrow(ConfigError);
    expect(() => createModel('deit_micro_patch4_32', { imgSize: 30 })).toThrow(/imgSize/);
    expect(() => createModel('deit_micro_patch4_32', { dropPathRate: 1 })).toThrow(ConfigError);
  });
});

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

describe('one registry of DeiT and CNN names', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it("carries timm's pretrained cfg (timm deit.py, resnet.py, regnet.py default tags)", () => {
    // deit.py `_cfg`: crop 0.9, bicubic, ImageNet mean/std, patch_embed.proj; the 384 px models crop 1.0.
    expect(pretrainedCfg('deit_base_patch16_384')).toEqual({
      tag: 'fb_in1k', numClasses: 1000, inputSize: [3, 384, 384], cropPct: 1, interpolation: 'bicubic', ...IMAGENET, firstConv: 'patch_embed.proj', classifier: ['head'],
    });
    expect(pretrainedCfg('deit_tiny_distilled_patch16_224')).toEqual({
      tag: 'fb_in1k', numClasses: 1000, inputSize: [3, 224, 224], cropPct: 0.9, interpolation: 'bicubic', ...IMAGENET, firstConv: 'patch_embed.proj', classifier: ['head', 'head_dist'],
    });
    // resnet50.a1_in1k: crop 0.95 (eval at 224; timm tests at 288, crop 1.0), bicubic.
    expect(pretrainedCfg('resnet50')).toEqual({
      tag: 'a1_in1k', numClasses: 1000, inputSize: [3, 224, 224], cropPct: 0.95, interpolation: 'bicubic', ...IMAGENET, firstConv: 'conv1', classifier: ['fc'],
    });
    // regnety_160.deit_in1k: deit's teacher.
    expect(pretrainedCfg('regnety_160')).toMatchObject({ tag: 'deit_in1k', inputSize: [3, 224, 224], cropPct: 0.95, interpolation: 'bicubic', ...IMAGENET, classifier: ['head.fc'] });
    // The 32-px presets keep today's plain preprocessing: ImageNet mean/std, no crop, 10 classes.
    const micro = pretrainedCfg('deit_micro_distilled_patch4_32');
    expect(micro).toEqual({ numClasses: 10, inputSize: [3, 32, 32], cropPct: 1, interpolation: 'bicubic', ...IMAGENET, firstConv: 'patch_embed.proj', classifier: ['head', 'head_dist'] });
    micro.mean[0] = 1;
    expect(pretrainedCfg('deit_micro_distilled_patch4_32').mean[0]).toBe(0.485);
  });

  it('lists every DeiT and CNN once, each resolving to a complete cfg', () => {
    const all = listModels();
    expect(new Set(all).size).toBe(all.length);
    expect([...listModels('deit'), ...listModels('resnet'), ...listModels('regnet')].sort()).toEqual([...all].sort());
    expect(listModels('resnet')).toEqual(expect.arrayContaining(['resnet18', 'resnet50', 'resnet152', 'resnet_mnist', 'resnet_basic_tiny']));
    expect(listModels('regnet')).toEqual(expect.arrayContaining(['regnety_002', 'regnety_160', 'regnety_320', 'regnety_tiny']));
    for (const name of all) {
      const info = resolveModel(name);
      const c = info.pretrainedCfg;
      expect(info.name, name).toBe(name);
      expect(info.description.length, name).toBeGreaterThan(0);
      expect(c.inputSize[0], name).toBe(3);
      expect(c.inputSize[1], name).toBe(c.inputSize[2]);
      expect([32, 64, 224, 384], name).toContain(c.inputSize[1]);
      expect([0.875, 0.9, 0.95, 0.965, 1], name).toContain(c.cropPct);
      expect(['bicubic', 'bilinear'], name).toContain(c.interpolation);
      expect({ mean: c.mean, std: c.std }, name).toEqual(IMAGENET);
      expect([10, 1000], name).toContain(c.numClasses);
      expect(c.firstConv.length, name).toBeGreaterThan(0);
      expect(c.classifier.length, name).toBe(info.distilled ? 2 : 1);
      if (info.family === 'deit') {
        expect(isDeiTModel(name), name).toBe(true);
        expect(modelConfig(name), name).toMatchObject({ imgSize: c.inputSize[1], numClasses: c.numClasses, distilled: info.distilled });
      } else {
        expect(isDeiTModel(name), name).toBe(false);
        expect(info.distilled, name).toBe(false);
      }
    }
  });

  it('creates a CNN by name: a ConvNet whose forward pass works, as createConvNet builds it', () => {
    const before = tf.memory().numTensors;
    const net = createModel('resnet_mnist', { seed: 3, dropPathRate: 0.1, imgSize: 32 });
    expect(net).toBeInstanceOf(ConvNet);
    expect(net.numClasses).toBe(10);
    const logits = tf.tidy(() => net.apply(tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 1), { training: false }) as tf.Tensor2D);
    expect(logits.shape).toEqual([2, 10]);
    expect(logits.dataSync().every(Number.isFinite)).toBe(true);
    const same = createConvNet('resnet_mnist', { seed: 3 });
    const a = net.stateDict();
    const b = same.stateDict();
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [k, v] of a) expect(v.data, k).toEqual(b.get(k)!.data);
    const five = createModel('resnet_tiny_cifar', { numClasses: 5 });
    expect(five.numClasses).toBe(5);
    for (const m of [net, same, five]) m.dispose();
    logits.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('creates a DeiT by name with the DeiT type', () => {
    const m: DeiT = createModel('deit_micro_patch4_32', { numClasses: 3 });
    expect(m).toBeInstanceOf(DeiT);
    expect(m.numClasses).toBe(3);
    m.dispose();
  });

  it("builds one-input-channel models (timm's in_chans = 1): DeiT and CNN alike", () => {
    const deit = createModel('deit_mini_distilled_patch8_32', { inChans: 1 });
    // 64 · 1 · 8 · 8 patch-embedding weights instead of 64 · 3 · 8 · 8: 214,996 − 8,192 parameters.
    expect(deit.stateDict().get('patch_embed.proj.weight')?.shape).toEqual([64, 1, 8, 8]);
    expect(deit.numParams()).toBe(206_804);
    expect(countParams(modelConfig('deit_mini_distilled_patch8_32', { inChans: 1 }))).toBe(206_804);
    const x = tf.zeros([2, 32, 32, 1]) as tf.Tensor4D;
    const y = deit.apply(x, { training: false }) as tf.Tensor2D;
    expect(y.shape).toEqual([2, 10]);
    const cnn = createModel('resnet_mnist', { inChans: 1, numClasses: 10 });
    expect(cnn.stateDict().get('conv1.weight')?.shape).toEqual([16, 1, 3, 3]);
    tf.dispose([x, y]);
    deit.dispose();
    cnn.dispose();
  });

  it('names near known names and lists all for an unknown name', () => {
    expect(() => resolveModel('resnet5')).toThrow(ConfigError);
    expect(() => resolveModel('resnet5')).toThrow(/model: unknown model "resnet5" \(did you mean resnet50, resnet152, resnet18\? known: deit_tiny_patch16_224, .*regnety_160/);
    expect(() => createModel('deit_tiny_patch16_244')).toThrow(/did you mean deit_tiny_patch16_224, /);
    expect(() => pretrainedCfg('vit_base_patch16_224')).toThrow(/did you mean deit_base_patch16_224, /);
    expect(() => pretrainedCfg('efficientnet_b0')).toThrow(/unknown model "efficientnet_b0" \(known: /);
    try {
      resolveModel('regnety_16', '--model');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).option).toBe('--model');
      expect((err as ConfigError).message).toMatch(/did you mean regnety_016, regnety_160/);
    }
  });
});
