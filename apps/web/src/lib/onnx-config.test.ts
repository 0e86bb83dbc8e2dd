import { ConfigError } from '@deitjs/core';
import { describe, expect, it } from 'vitest';
import { onnxInput, parseOnnxConfig } from './onnx-config.js';

const labels = { id2label: { '0': 'zero', '1': 'one', '2': 'two' } };
/** preprocessor_config.json as `deit-eval export --format onnx` writes it, with overrides. */
const processor = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  image_processor_type: 'DeiTImageProcessor',
  do_resize: true,
  size: { shortest_edge: 32 },
  resample: 3,
  do_center_crop: true,
  crop_size: { height: 32, width: 32 },
  do_rescale: true,
  rescale_factor: 0.00392156862745098,
  do_normalize: true,
  image_mean: [0.5, 0.25, 0],
  image_std: [0.5, 0.25, 1],
  ...over,
});

/** A digit with a full-ink top-left pixel and a 51/255 = 0.2 bottom-right pixel. */
function digit(): Uint8Array {
  const d = new Uint8Array(784);
  d[0] = 255;
  d[27 * 28 + 27] = 51;
  return d;
}

describe('parseOnnxConfig', () => {
  it('reads labels, sides, mean, std and rescale of an exported folder', () => {
    expect(parseOnnxConfig(labels, processor(), 'f')).toEqual({
      labels: ['zero', 'one', 'two'],
      resize: 32,
      crop: 32,
      mean: [0.5, 0.25, 0],
      std: [0.5, 0.25, 1],
      rescale: 0.00392156862745098,
    });
  });

  it('takes a square {height, width} size, no crop, no rescale and no normalisation', () => {
    const p = parseOnnxConfig(labels, processor({ size: { height: 30, width: 30 }, do_center_crop: false, do_rescale: false, do_normalize: false }), 'f');
    expect(p).toMatchObject({ resize: 30, crop: 30, mean: [0], std: [1], rescale: 1 });
  });

  it('names the file and key at fault', () => {
    expect(() => parseOnnxConfig({}, processor(), 'f')).toThrow(ConfigError);
    expect(() => parseOnnxConfig({}, processor(), 'f')).toThrow(/f\/config\.json id2label/);
    expect(() => parseOnnxConfig({ id2label: { '0': 'a', '2': 'c' } }, processor(), 'f')).toThrow(/id2label\["1"\]/);
    expect(() => parseOnnxConfig(labels, processor({ image_std: [0.5, 0] }), 'f')).toThrow(/preprocessor_config\.json image_std/);
    expect(() => parseOnnxConfig(labels, processor({ crop_size: { height: 40, width: 40 } }), 'f')).toThrow(/crop_size/);
  });
});

describe('onnxInput', () => {
  it('pads the digit to 32 px, normalises each channel and lays it out NCHW', () => {
    const x = onnxInput(digit(), parseOnnxConfig(labels, processor(), 'f'), 3);
    expect(x.length).toBe(3 * 32 * 32);
    const at = (c: number, y: number, xx: number): number => Math.round(x[(c * 32 + y) * 32 + xx]! * 1e6) / 1e6;
    // Digit pixel (0, 0) lands at (2, 2): (1 − 0.5)/0.5, (1 − 0.25)/0.25, (1 − 0)/1.
    expect([at(0, 2, 2), at(1, 2, 2), at(2, 2, 2)]).toEqual([1, 3, 1]);
    // Digit pixel (27, 27) = 0.2 at (29, 29): (0.2 − 0.5)/0.5, (0.2 − 0.25)/0.25, 0.2.
    expect([at(0, 29, 29), at(1, 29, 29), at(2, 29, 29)]).toEqual([-0.6, -0.2, 0.2]);
    // Padding is zero before normalisation.
    expect([at(0, 0, 0), at(1, 0, 0), at(2, 0, 0)]).toEqual([-1, -1, 0]);
  });

  it('centre-crops: a 28 px crop of the 32 px image starts 2 px in, where the digit starts', () => {
    const x = onnxInput(digit(), parseOnnxConfig(labels, processor({ crop_size: { height: 28, width: 28 }, image_mean: [0.1307], image_std: [0.3081] }), 'f'), 1);
    expect(x.length).toBe(28 * 28);
    expect(x[0]).toBeCloseTo((1 - 0.1307) / 0.3081, 5);
    expect(x[27 * 28 + 27]).toBeCloseTo((0.2 - 0.1307) / 0.3081, 5);
    expect(x[1]).toBeCloseTo(-0.1307 / 0.3081, 5);
  });

  it('applies rescale_factor before the mean and std', () => {
    // No rescale: 255 − 100 = 155 over std 2 → 77.5; a blank pixel: −50.
    const x = onnxInput(digit(), parseOnnxConfig(labels, processor({ do_rescale: false, image_mean: [100], image_std: [2] }), 'f'), 1);
    expect(x[2 * 32 + 2]).toBeCloseTo(77.5, 4);
    expect(x[0]).toBeCloseTo(-50, 4);
  });
});
