import { ConfigError } from '@deitjs/core';
import { type ConvNet, type CreateConvNetOptions, type PretrainedCfg, copyPretrainedCfg, createConvNet, listTeachers } from '@deitjs/teachers';
import type { DeiT } from './deit.js';
import { type CreateModelOptions, type DeiTModelName, MODEL_ARCHITECTURES, createDeiT, deitPretrainedCfg, isDeiTModel } from './deit-variants.js';
import { nearNames } from './near-names.js';
import type { DownloadOptions } from './hub/download-node.js';
import { fetchPretrainedWeights } from './hub/fetch-weights.js';
import { type Pretrained, pretrainedSource } from './hub/pretrained.js';

/** The architecture family of a registered name. */
export type ModelFamily = 'deit' | 'resnet' | 'regnet';

/** What the registry knows of a name, before anything is built (timm's `pretrained_cfg` included). */
export interface ModelInfo {
  /** Registry name (timm's where timm has the model). */
  name: string;
  /** `deit` (a {@link DeiT}) or `resnet`/`regnet` (a ConvNet of @deitjs/teachers). */
  family: ModelFamily;
  /** One line for listings. */
  description: string;
  /** Whether the model has a distillation head (a distilled DeiT). */
  distilled: boolean;
  /** What its reference weights expect: input size, mean/std, crop ratio, interpolation, classes. */
  pretrainedCfg: PretrainedCfg;
}

/** Options of {@link createModel}: a DeiT's (`inChans` applies to a CNN too), plus a CNN's own (`inChannels`, `groupedStrategy`). */
export type CreateAnyModelOptions = CreateModelOptions & Pick<CreateConvNetOptions, 'inChannels' | 'groupedStrategy'>;

function deitInfo(name: DeiTModelName): ModelInfo {
  const a = MODEL_ARCHITECTURES[name]!;
  const kind = a.distilled ? 'distilled DeiT' : 'DeiT';
  return {
    name,
    family: 'deit',
    description: `${kind}: patch ${a.patchSize}, ${a.imgSize} px, embed ${a.embedDim}, depth ${a.depth}, ${a.numHeads} heads`,
    distilled: a.distilled,
    pretrainedCfg: copyPretrainedCfg(deitPretrainedCfg(a)),
  };
}

/** Every registered name: the DeiTs, then the ResNets and RegNetYs of @deitjs/teachers (or one family's). */
export function listModels(family?: ModelFamily): string[] {
  const deits = family === undefined || family === 'deit' ? Object.keys(MODEL_ARCHITECTURES) : [];
  const cnns = family === 'deit' ? [] : listTeachers().filter((t) => family === undefined || t.family === family);
  return [...deits, ...cnns.map((t) => t.name)];
}

/**
 * The registry entry of a DeiT or CNN name; an unknown name is a ConfigError on `option` naming the nearest known
 * names and listing all.
 */
export function resolveModel(name: string, option = 'model'): ModelInfo {
  if (isDeiTModel(name)) return deitInfo(name);
  const t = listTeachers().find((x) => x.name === name);
  if (t !== undefined) return { name, family: t.family, description: t.description, distilled: false, pretrainedCfg: t.pretrainedCfg };
  const known = listModels();
  const near = nearNames(name, known);
  const hint = near.length > 0 ? `did you mean ${near.join(', ')}? ` : '';
  throw new ConfigError(option, `unknown model "${name}" (${hint}known: ${known.join(', ')})`);
}

/** timm's pretrained configuration of a registered name (a copy): what to resize, crop and normalise its input with. */
export function pretrainedCfg(name: string): PretrainedCfg {
  return resolveModel(name).pretrainedCfg;
}

/** The `pretrained` choice of {@link createModel} and how to download. */
export interface PretrainedOptions {
  /** Weights to fetch (see {@link Pretrained}): `true` for timm's default weights of the name. */
  pretrained: Pretrained;
  /** Cache, endpoint, token, offline mode, size bound and progress of the download (in a browser: endpoint, size bound, progress). */
  download?: DownloadOptions;
}

/** Options without pretrained weights: {@link createModel} answers at once. */
type NotPretrained = { pretrained?: false; download?: undefined };

/**
 * Creates a registered model by name, DeiT or CNN alike (timm's `create_model`), optionally loading weights. A DeiT
 * takes every option; a CNN takes any input size, so `imgSize`, `dropPathRate` and `rng` do not apply (seed it with
 * `seed`). With `pretrained` it returns a Promise: the weights are fetched (or found in the cache) first.
 */
export function createModel(name: DeiTModelName, options: CreateModelOptions & PretrainedOptions): Promise<DeiT>;
export function createModel(name: string, options: CreateAnyModelOptions & PretrainedOptions): Promise<DeiT | ConvNet>;
export function createModel(name: DeiTModelName, options?: CreateModelOptions & NotPretrained): DeiT;
export function createModel(name: string, options?: CreateAnyModelOptions & NotPretrained): DeiT | ConvNet;
export function createModel(name: string, options: CreateAnyModelOptions & { pretrained?: Pretrained | false; download?: DownloadOptions } = {}): DeiT | ConvNet | Promise<DeiT | ConvNet> {
  const { pretrained, download, ...rest } = options;
  if (pretrained !== undefined && pretrained !== false) {
    // Every failure, bad choices included, is a rejection of the returned Promise.
    return (async () => {
      if (rest.weights !== undefined) throw new ConfigError('pretrained', 'give either weights or pretrained, not both');
      const w = await fetchPretrainedWeights(pretrainedSource(name, resolveModel(name).pretrainedCfg.tag, pretrained), download);
      return createModel(name, { ...rest, weights: w.weights, source: w.source });
    })();
  }
  if (isDeiTModel(name)) return createDeiT(name, rest);
  resolveModel(name);
  const { numClasses, weights, seed, warn, source, inChannels, inChans, groupedStrategy } = rest;
  // timm's `in_chans` names a CNN's input channels too.
  return createConvNet(name, { numClasses, weights, seed, warn, source, inChannels: inChannels ?? inChans, groupedStrategy });
}
