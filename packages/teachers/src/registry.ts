import { ConfigError, type Normalization, type StateDict } from '@deitjs/core';
import type { ConvNet } from './convnet.js';
import type { GroupedConvStrategy } from './grouped-conv.js';
import { checkpointNumClasses, loadConvNetWeights, readConvNetCheckpoint } from './load-weights.js';
import { type PretrainedCfg, copyPretrainedCfg, makePretrainedCfg } from './pretrained-cfg.js';
import { RegNet } from './regnet.js';
import { REGNETY_PARAMS } from './regnet-config.js';
import { ResNet, type ResNetConfig } from './resnet.js';

/** A registered teacher architecture. */
export interface TeacherArchitecture {
  /** Registry name (timm's where timm has the model). */
  name: string;
  /** `resnet` or `regnet`. */
  family: 'resnet' | 'regnet';
  /** One line for listings. */
  description: string;
  /** Image size it was designed for (224 for ImageNet models, 32 for the small-image variants): `pretrainedCfg.inputSize[1]`. */
  imageSize: number;
  /** The input normalisation its pretrained weights expect: `pretrainedCfg`'s mean and std. */
  normalization: Normalization;
  /** timm's pretrained configuration of the name (input size, mean/std, crop, interpolation, classes). */
  pretrainedCfg: PretrainedCfg;
}

/** Options of {@link createConvNet}. */
export interface CreateConvNetOptions {
  /** Checkpoint to load: a `.safetensors`/`.pth` path (timm or torchvision names) or a state dict. */
  weights?: string | StateDict;
  /** Classes of the classifier. Default: the checkpoint's, else 1000 (10 for the small-image variants). A
   * different count than the checkpoint's re-initialises the classifier with a warning. */
  numClasses?: number;
  /** Input channels (default 3). */
  inChannels?: number;
  /** Seed of the initialisation (default 0). */
  seed?: number;
  /** Grouped-convolution emulation for RegNets (default `auto`). */
  groupedStrategy?: GroupedConvStrategy;
  /** Where warnings go (default `console.warn`). */
  warn?: (message: string) => void;
  /** Name of the weights in messages when they are passed as a state dict (default `<name> weights`). */
  source?: string;
}

type Builder = (o: { numClasses: number; inChannels: number; seed: number; init: 'random' | 'zeros'; groupedStrategy?: GroupedConvStrategy }) => ConvNet;

interface Entry extends Pick<TeacherArchitecture, 'name' | 'family' | 'description'> {
  cfg: Readonly<PretrainedCfg>;
  build: Builder;
}

// timm's ResNet default tags (the first in timm resnet.py's table) share one cfg (`_rcfg`); torchvision's `tv_in1k`
// weights load too but were made for crop 0.875, bilinear.
const resnetCfg = (tag: string): Readonly<PretrainedCfg> =>
  makePretrainedCfg({ tag, size: 224, cropPct: 0.95, interpolation: 'bicubic', firstConv: 'conv1', classifier: ['fc'] });

// timm's default tag of each regnety (the first in timm regnet.py's table); regnety_160: deit's teacher weights
// `deit_in1k` (timm's default, `sw_in12k_ft_in1k`, has the same values).
const REGNETY_TAGS: Array<[string, string[]]> = [
  ['pycls_in1k', ['regnety_002', 'regnety_006', 'regnety_008']],
  ['tv2_in1k', ['regnety_004', 'regnety_016', 'regnety_320']],
  ['ra_in1k', ['regnety_032']],
  ['ra3_in1k', ['regnety_040', 'regnety_064', 'regnety_080']],
  ['sw_in12k_ft_in1k', ['regnety_120']],
  ['deit_in1k', ['regnety_160']],
];
// Crop ratio by tag: timm's `_cfgpyc` 0.875 and `_cfgtv2` 0.965; its `_cfg` (timm-trained) 0.95. All bicubic.
const REGNET_CROP: Record<string, number> = { pycls_in1k: 0.875, tv2_in1k: 0.965 };

function regnetCfg(name: string): Readonly<PretrainedCfg> {
  const tag = REGNETY_TAGS.find(([, names]) => names.includes(name))?.[0];
  if (tag === undefined) throw new ConfigError('teacher', `no pretrained configuration for "${name}"`);
  return makePretrainedCfg({ tag, size: 224, cropPct: REGNET_CROP[tag] ?? 0.95, interpolation: 'bicubic', firstConv: 'stem.conv', classifier: ['head.fc'] });
}

// deitjs's own small-image and fixture CNNs have no timm weights: ImageNet mean/std, no crop, 10 classes.
const smallCfg = (size: number, family: 'resnet' | 'regnet'): Readonly<PretrainedCfg> =>
  makePretrainedCfg({
    size,
    cropPct: 1,
    interpolation: 'bicubic',
    numClasses: 10,
    firstConv: family === 'resnet' ? 'conv1' : 'stem.conv',
    classifier: [family === 'resnet' ? 'fc' : 'head.fc'],
  });

const IMAGENET_WIDTHS = [64, 128, 256, 512];
const resnet = (config: ResNetConfig): Builder => (o) => new ResNet(config, o);

const RESNETS: Array<[string, ResNetConfig['block'], number[], string]> = [
  ['resnet18', 'basic', [2, 2, 2, 2], 'a1_in1k'],
  ['resnet34', 'basic', [3, 4, 6, 3], 'a1_in1k'],
  ['resnet50', 'bottleneck', [3, 4, 6, 3], 'a1_in1k'],
  ['resnet101', 'bottleneck', [3, 4, 23, 3], 'a1h_in1k'],
  ['resnet152', 'bottleneck', [3, 8, 36, 3], 'a1h_in1k'],
];

const ENTRIES: Entry[] = [
  ...RESNETS.map(([name, block, depths, tag]): Entry => ({
    name,
    family: 'resnet',
    description: `ResNet-${name.slice(6)} (${block === 'basic' ? 'BasicBlock' : 'Bottleneck'} ${depths.join('/')}), timm/torchvision`,
    cfg: resnetCfg(tag),
    build: resnet({ block, depths, channels: IMAGENET_WIDTHS, stem: 'imagenet', stemWidth: 64 }),
  })),
  ...Object.entries(REGNETY_PARAMS).map(([name, p]): Entry => ({
    name,
    family: 'regnet',
    description: `RegNetY-${Number(name.slice(8)) >= 10 ? `${Number(name.slice(8)) / 10}GF` : `${Number(name.slice(8)) * 100}MF`} (w0 ${p.w0}, wa ${p.wa}, wm ${p.wm}, group ${p.groupSize}, depth ${p.depth}), timm`,
    cfg: regnetCfg(name),
    build: (o) => new RegNet(p, o),
  })),
  // The reference fixtures' tiny configurations (fixtures/README.md), so that their timm/torchvision checkpoints load
  // by name (e.g. `deit-eval predict --model resnet_basic_tiny`): parity checks of a whole pipeline, not useful teachers.
  {
    name: 'resnet_basic_tiny',
    family: 'resnet',
    description: 'tiny ResNet of the reference fixtures: BasicBlock 1/1/1/1, widths 64/8/16/32, 7×7 stem (every key a resnet18 key)',
    cfg: smallCfg(64, 'resnet'),
    build: resnet({ block: 'basic', depths: [1, 1, 1, 1], channels: [64, 8, 16, 32], stem: 'imagenet', stemWidth: 64 }),
  },
  {
    name: 'resnet_bottleneck_tiny',
    family: 'resnet',
    description: 'tiny ResNet of the reference fixtures: Bottleneck 1/1/1/1, planes 4/8/16/32, 7×7 stem',
    cfg: smallCfg(32, 'resnet'),
    build: resnet({ block: 'bottleneck', depths: [1, 1, 1, 1], channels: [4, 8, 16, 32], stem: 'imagenet', stemWidth: 64 }),
  },
  {
    name: 'regnety_tiny',
    family: 'regnet',
    description: 'tiny RegNetY of the reference fixtures: depth 5, w0 8, wa 10, wm 2, group 8, SE 0.25',
    cfg: smallCfg(64, 'regnet'),
    build: (o) => new RegNet({ depth: 5, w0: 8, wa: 10, wm: 2, groupSize: 8, seRatio: 0.25 }, o),
  },
  {
    name: 'resnet_mnist',
    family: 'resnet',
    description: 'ResNet-like CNN for 28–32 px digits (~78k params): 3×3 stem 16, one BasicBlock per stage 16/32/64, strides 1/2/2',
    cfg: smallCfg(32, 'resnet'),
    build: resnet({ block: 'basic', depths: [1, 1, 1], channels: [16, 32, 64], stem: 'small', stemWidth: 16 }),
  },
  {
    name: 'resnet_tiny_cifar',
    family: 'resnet',
    description: 'ResNet-20 of He et al. for 32 px images (0.27M params): 3×3 stem 16, three BasicBlocks per stage 16/32/64',
    cfg: smallCfg(32, 'resnet'),
    build: resnet({ block: 'basic', depths: [3, 3, 3], channels: [16, 32, 64], stem: 'small', stemWidth: 16 }),
  },
  {
    name: 'resnet18_cifar',
    family: 'resnet',
    description: 'ResNet-18 for 32 px images: 3×3 stride-1 stem 64 without max-pool, BasicBlock 2/2/2/2',
    cfg: smallCfg(32, 'resnet'),
    build: resnet({ block: 'basic', depths: [2, 2, 2, 2], channels: IMAGENET_WIDTHS, stem: 'small', stemWidth: 64 }),
  },
];

const BY_NAME = new Map(ENTRIES.map((e) => [e.name, e]));

function architectureOf({ name, family, description, cfg }: Entry): TeacherArchitecture {
  const pretrainedCfg = copyPretrainedCfg(cfg);
  return { name, family, description, imageSize: cfg.inputSize[1], normalization: { mean: [...cfg.mean], std: [...cfg.std] }, pretrainedCfg };
}

/** Every registered teacher architecture, in registry order. */
export function listTeachers(): TeacherArchitecture[] {
  return ENTRIES.map(architectureOf);
}

/** The registry entry of `name`, or a ConfigError listing the known names. */
export function teacherArchitecture(name: string): TeacherArchitecture {
  const e = BY_NAME.get(name);
  if (!e) throw new ConfigError('teacher', `unknown teacher "${name}" (known: ${ENTRIES.map((x) => x.name).join(', ')})`);
  return architectureOf(e);
}

/** Builds a registered ResNet/RegNet, optionally loading timm or torchvision weights (see {@link CreateConvNetOptions}). */
export function createConvNet(name: string, options: CreateConvNetOptions = {}): ConvNet {
  teacherArchitecture(name);
  const entry = BY_NAME.get(name)!;
  const sd = typeof options.weights === 'string' ? readConvNetCheckpoint(options.weights) : options.weights;
  const numClasses = options.numClasses ?? (sd ? checkpointNumClasses(sd) : undefined) ?? entry.cfg.numClasses;
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new ConfigError('numClasses', `must be a positive integer, got ${numClasses}`);
  // Loaded weights overwrite the random init entirely unless the classifier is re-initialised: skip it then.
  const init = sd !== undefined && checkpointNumClasses(sd) === numClasses ? 'zeros' : 'random';
  const model = entry.build({ numClasses, inChannels: options.inChannels ?? 3, seed: options.seed ?? 0, init, groupedStrategy: options.groupedStrategy });
  if (sd) {
    try {
      loadConvNetWeights(model, sd, { warn: options.warn, source: typeof options.weights === 'string' ? options.weights : (options.source ?? `${name} weights`) });
    } catch (err) {
      model.dispose();
      throw err;
    }
  }
  return model;
}
