import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CheckpointError, ConfigError, initBackend, maxAbsDiff, tf } from '@deitjs/core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { teacherFromTfjsModel } from '../tfjs-model-teacher.js';
import { MODEL_JSON, WEIGHTS_BIN, nodeFileIo, registerNodeFileIo } from './file-io.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'deit-file-io-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A small conv net with seeded weights: conv → pool → dense, NHWC 8×8×3 → 5 classes. */
function smallNet(seed: number): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tfl.initializers.glorotNormal({ seed }) }),
      tfl.layers.globalAveragePooling2d({}),
      tfl.layers.dense({ units: 5, kernelInitializer: tfl.initializers.glorotNormal({ seed: seed + 1 }), biasInitializer: 'ones' }),
    ],
  });
}

describe('Node file IO for TF.js models (no tfjs-node), cpu', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it("model.save('file://dir') writes TF.js's model.json + weights.bin; tf.loadLayersModel('file://…') predicts the same", async () => {
    // Without the handler (and without tfjs-node) TF.js has nowhere to save a file:// URL.
    const before = smallNet(1);
    await expect(before.save(`file://${tempDir()}`)).rejects.toThrow(/Cannot find any save handlers/);
    before.dispose();
    expect(registerNodeFileIo()).toBe(true);
    expect(registerNodeFileIo()).toBe(false);
    const net = smallNet(3);
    const dir = join(tempDir(), 'nested', 'net');
    const result = await net.save(`file://${dir}`);
    expect(readdirSync(dir).sort()).toEqual([MODEL_JSON, WEIGHTS_BIN]);
    // The tfjs format: a topology, one weight group whose shard holds every float32 weight.
    const json = JSON.parse(readFileSync(join(dir, MODEL_JSON), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.modelTopology.class_name).toBe('Sequential');
    expect(json.weightsManifest).toHaveLength(1);
    expect(json.weightsManifest[0].paths).toEqual([`./${WEIGHTS_BIN}`]);
    const floats = net.weights.reduce((s, w) => s + w.read().size, 0);
    expect(readFileSync(join(dir, WEIGHTS_BIN)).byteLength).toBe(4 * floats);
    expect(result.modelArtifactsInfo.weightDataBytes).toBe(4 * floats);
    // No temp files left behind by the atomic writes.
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const x = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 5);
    const want = net.predict(x) as tf.Tensor;
    for (const url of [`file://${join(dir, MODEL_JSON)}`, pathToFileURL(join(dir, MODEL_JSON)).href, `file://${dir}`]) {
      const back = await tfl.loadLayersModel(url);
      const got = back.predict(x) as tf.Tensor;
      expect(maxAbsDiff(got.dataSync(), want.dataSync()), url).toBe(0);
      tf.dispose(got);
      back.dispose();
    }
    // Saving again over the same directory replaces both files.
    const other = smallNet(11);
    await other.save(`file://${dir}`);
    const back = await tfl.loadLayersModel(`file://${dir}`);
    const w = other.predict(x) as tf.Tensor;
    const g = back.predict(x) as tf.Tensor;
    expect(maxAbsDiff(g.dataSync(), w.dataSync())).toBe(0);
    expect(maxAbsDiff(g.dataSync(), want.dataSync())).toBeGreaterThan(1e-3);
    tf.dispose([x, want, w, g]);
    for (const m of [net, other, back]) m.dispose();
  });

  it("a relative file:// URL is relative to the working directory, as tfjs-node's", async () => {
    registerNodeFileIo();
    const cwd = process.cwd();
    const dir = tempDir();
    const net = smallNet(9);
    try {
      process.chdir(dir);
      await net.save('file://teachers/small-cnn');
      const back = await tfl.loadLayersModel('file://teachers/small-cnn/model.json');
      expect(back.weights.map((v) => v.shape)).toEqual(net.weights.map((v) => v.shape));
      back.dispose();
    } finally {
      process.chdir(cwd);
    }
    expect(readdirSync(join(dir, 'teachers', 'small-cnn')).sort()).toEqual([MODEL_JSON, WEIGHTS_BIN]);
    net.dispose();
  });

  it('a handler for a plain path works without the router too', async () => {
    const net = smallNet(5);
    const dir = tempDir();
    await net.save(nodeFileIo(dir));
    const back = await tfl.loadLayersModel(nodeFileIo(join(dir, MODEL_JSON)));
    expect(back.weights.map((v) => v.shape)).toEqual(net.weights.map((v) => v.shape));
    net.dispose();
    back.dispose();
  });

  it('refuses a weight shard outside the model directory, a missing shard and a file that is not a model.json', async () => {
    const dir = tempDir();
    const net = smallNet(7);
    await net.save(nodeFileIo(dir));
    net.dispose();
    const json = JSON.parse(readFileSync(join(dir, MODEL_JSON), 'utf8'));
    for (const [paths, msg] of [
      [['../weights.bin'], /is not a file beside the model\.json/],
      [['/etc/passwd'], /is not a file beside the model\.json/],
      [['missing.bin'], /weight shard missing\.bin cannot be read/],
    ] as const) {
      writeFileSync(join(dir, 'hostile.json'), JSON.stringify({ ...json, weightsManifest: [{ ...json.weightsManifest[0], paths }] }));
      const err = await tfl.loadLayersModel(nodeFileIo(join(dir, 'hostile.json'))).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CheckpointError);
      expect((err as Error).message).toMatch(msg);
      expect((err as Error).message).toContain('hostile.json');
    }
    // The teacher's own model.json reader is the same one.
    writeFileSync(join(dir, 'hostile.json'), JSON.stringify({ ...json, weightsManifest: [{ ...json.weightsManifest[0], paths: ['../../x.bin'] }] }));
    await expect(teacherFromTfjsModel(join(dir, 'hostile.json'))).rejects.toThrow(/hostile\.json.*is not a file beside the model\.json/);
    writeFileSync(join(dir, 'hostile.json'), JSON.stringify({ ...json, weightsManifest: { paths: 'weights.bin' } }));
    await expect(teacherFromTfjsModel(join(dir, 'hostile.json'))).rejects.toThrow(/weightsManifest is not a list/);
    writeFileSync(join(dir, 'notes.json'), '{"hello": 1}');
    await expect(tfl.loadLayersModel(nodeFileIo(join(dir, 'notes.json')))).rejects.toThrow(/has no modelTopology/);
    writeFileSync(join(dir, 'file'), 'x');
    await expect(smallNet(1).save(nodeFileIo(join(dir, 'file')))).rejects.toThrow(ConfigError);
  });
});
