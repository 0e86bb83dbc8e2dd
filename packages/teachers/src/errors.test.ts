import { ConfigError, ShapeError, initBackend, tf } from '@deitjs/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Conv2d } from './conv2d.js';
import { RegNet } from './regnet.js';
import { generateRegNetStages } from './regnet-config.js';
import { createConvNet } from './registry.js';
import { ResNet } from './resnet.js';
import { createTeacher } from './teacher.js';

describe('bad input gives typed errors naming the culprit', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('images of the wrong rank or channel count', () => {
    const model = createConvNet('resnet_mnist');
    const gray = tf.zeros([1, 8, 8, 1]) as tf.Tensor4D;
    expect(() => model.apply(gray, { training: false })).toThrow(ShapeError);
    expect(() => model.apply(gray, { training: false })).toThrow(/images: expected NHWC \[batch, H, W, 3\], got \[1,8,8,1\]/);
    const teacher = createTeacher('resnet_mnist');
    expect(() => teacher.predict(tf.zeros([8, 8, 3]) as unknown as tf.Tensor4D)).toThrow(/images: expected NHWC/);
    // A one-channel model exists for gray images.
    const mono = createConvNet('resnet_mnist', { inChannels: 1 });
    const y = mono.apply(gray, { training: false });
    expect(y.shape).toEqual([1, 10]);
    tf.dispose([gray, y]);
    for (const m of [model, mono]) m.dispose();
    teacher.dispose();
  });

  it('inconsistent configurations', () => {
    expect(() => new Conv2d(6, 8, { kernel: 3, groups: 4 }, undefined)).toThrow(ConfigError);
    expect(() => new Conv2d(6, 8, { kernel: 3, groups: 4 }, undefined)).toThrow(/groups: 4 groups do not divide 6 input and 8 output channels/);
    expect(() => new ResNet({ block: 'basic', depths: [1, 1], channels: [8], stem: 'small', stemWidth: 8 })).toThrow(/depths: need one depth per stage width/);
    expect(() => new ResNet({ block: 'basic', depths: [1, 1], channels: [8, 8], strides: [1], stem: 'small', stemWidth: 8 })).toThrow(/strides: need one positive integer stride per stage/);
    expect(() => generateRegNetStages({ depth: 4, w0: 12, wa: 10, wm: 2, groupSize: 8, seRatio: 0.25 })).toThrow(/regnet: .*multiple of 8/);
    expect(() => new RegNet({ depth: 40, w0: 8, wa: 30, wm: 1.5, groupSize: 8, seRatio: 0.25 }, { init: 'zeros' })).toThrow(/stages would exceed output stride 32/);
    expect(() => createConvNet('resnet_mnist', { numClasses: 0 })).toThrow(/numClasses: must be a positive integer/);
  });
});
