// TF.js's model loaders come from two optional peer packages, imported only when a model.json is read: a user who
// never loads a TF.js model installs neither (~55 MB with their dependencies).
import { ConfigError, type tf } from '@deitjs/core';
import type { TfjsModelLike } from './tfjs-model-teacher.js';

/** The optional peer that loads a model of each TF.js format. */
export const TFJS_LOADER_PACKAGES = { layers: '@tensorflow/tfjs-layers', graph: '@tensorflow/tfjs-converter' } as const;

/** A model's TF.js format: `layers` (a LayersModel) or `graph` (converter output, a GraphModel). */
export type TfjsModelFormat = keyof typeof TFJS_LOADER_PACKAGES;

/** How an optional package is imported (a seam for tests; the default is the runtime's dynamic import). */
export type ImportFn = (specifier: string) => Promise<unknown>;

// A variable specifier: bundlers and tsup leave an optional package alone instead of resolving it at build time.
const dynamicImport: ImportFn = (specifier) => import(specifier);

/**
 * Loads a model of the given format from an IO handler with the optional peer that reads it. A missing peer is a
 * ConfigError naming the package and the command that installs it.
 */
export async function loadWithTfjsLoader(format: TfjsModelFormat, handler: tf.io.IOHandler, importFn: ImportFn = dynamicImport): Promise<TfjsModelLike> {
  const pkg = TFJS_LOADER_PACKAGES[format];
  let mod: { loadLayersModel?: (h: tf.io.IOHandler) => Promise<TfjsModelLike>; loadGraphModel?: (h: tf.io.IOHandler) => Promise<TfjsModelLike> };
  try {
    mod = (await importFn(pkg)) as typeof mod;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const missing = /Cannot find (module|package)|ERR_MODULE_NOT_FOUND|Could not resolve|Failed to (fetch|resolve|load)/.test(msg);
    throw new ConfigError(
      'model',
      missing
        ? `a TF.js ${format === 'graph' ? 'graph model (converter output)' : 'layers model'} needs the optional package ${pkg}, which is not installed: npm install ${pkg}@~4.22.0`
        : `${pkg} failed to load: ${msg}`,
    );
  }
  const load = format === 'graph' ? mod.loadGraphModel : mod.loadLayersModel;
  if (typeof load !== 'function') throw new ConfigError('model', `${pkg} has no ${format === 'graph' ? 'loadGraphModel' : 'loadLayersModel'} (wrong version?)`);
  return load(handler);
}
