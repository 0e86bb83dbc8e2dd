import { ConfigError, initBackend, tf } from '@deitjs/core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { TFJS_LOADER_PACKAGES, loadWithTfjsLoader } from './tfjs-loaders.js';

/** What Node's import throws for a package that is not installed. */
const notInstalled = (specifier: string) => Promise.reject(Object.assign(new Error(`Cannot find package '${specifier}' imported from x.js`), { code: 'ERR_MODULE_NOT_FOUND' }));

describe('TF.js loaders (optional peers)', () => {
  beforeAll(() => initBackend('cpu'));

  it('names the missing package and how to install it, per format', async () => {
    for (const format of ['layers', 'graph'] as const) {
      const handler = tf.io.fromMemory({ modelTopology: {} });
      const err = await loadWithTfjsLoader(format, handler, notInstalled).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain(`npm install ${TFJS_LOADER_PACKAGES[format]}@~4.22.0`);
    }
    expect(TFJS_LOADER_PACKAGES).toEqual({ layers: '@tensorflow/tfjs-layers', graph: '@tensorflow/tfjs-converter' });
  });

  it('reports another load failure as such, not as a missing package', async () => {
    const broken = () => Promise.reject(new SyntaxError('Unexpected token'));
    await expect(loadWithTfjsLoader('layers', tf.io.fromMemory({ modelTopology: {} }), broken)).rejects.toThrow(/failed to load: Unexpected token/);
  });

  it('loads a LayersModel through @tensorflow/tfjs-layers when it is installed', async () => {
    const net = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2, kernelInitializer: 'ones', biasInitializer: 'zeros' })] });
    let saved: tf.io.ModelArtifacts | undefined;
    await net.save(tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await loadWithTfjsLoader('layers', tf.io.fromMemory(saved!));
    const y = loaded.predict(tf.tensor2d([[1, 2, 3]])) as tf.Tensor;
    expect(Array.from(await y.data())).toEqual([6, 6]);
    y.dispose();
  });
});
