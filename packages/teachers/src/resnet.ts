import { ConfigError, Module, Rng, tf } from '@deitjs/core';
import { BatchNorm2d } from './batch-norm.js';
import { Conv2d } from './conv2d.js';
import { convBnAct } from './conv-norm-act.js';
import { ConvNet, type FeatureTap } from './convnet.js';
import { padSpatial } from './grouped-conv.js';
import { FcClassifier } from './fc-classifier.js';

/** A ResNet: block type, stage depths and widths, stem. timm/torchvision names (`conv1`, `layer2.0.downsample.0`, `fc`). */
export interface ResNetConfig {
  /** `basic` (two 3×3 convs, expansion 1) or `bottleneck` (1×1, 3×3, 1×1, expansion 4). */
  block: 'basic' | 'bottleneck';
  /** Blocks per stage (`layer1`, `layer2`, …). */
  depths: number[];
  /** Planes per stage (a bottleneck stage outputs 4× this). */
  channels: number[];
  /** Stride of each stage's first block (on its 3×3 conv and its shortcut); default 1, 2, 2, … */
  strides?: number[];
  /** `imagenet`: 7×7/2 conv + 3×3/2 max-pool; `small`: 3×3/1 conv, no pool (for 28–32 px images). */
  stem: 'imagenet' | 'small';
  /** Stem output channels (64 in every torchvision/timm ResNet). */
  stemWidth: number;
}

/** Options shared by the CNN builders. */
export interface ConvNetOptions {
  /** Number of classes of the classifier (default 1000). */
  numClasses?: number;
  /** Input channels (default 3). */
  inChannels?: number;
  /** Seed of the parameter initialisation (default 0). */
  seed?: number;
  /** `random` (timm's init, default) or `zeros` (skip it: weights are loaded right after). */
  init?: 'random' | 'zeros';
}

// The shortcut projection `downsample` = Sequential(conv 1×1, BN): children `0` and `1`.
class Downsample extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;
  constructor(cin: number, cout: number, stride: number, rng: Rng | undefined) {
    super();
    this.conv = this.addChild('0', new Conv2d(cin, cout, { kernel: 1, stride, padding: 0 }, rng));
    this.bn = this.addChild('1', new BatchNorm2d(cout));
  }
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return convBnAct(this.conv, this.bn, x, training, false);
  }
}

/** ResNet BasicBlock: 3×3 conv (stride) → BN → ReLU → 3×3 conv → BN, + shortcut, ReLU. */
class BasicBlock extends Module {
  static readonly expansion = 1;
  private readonly conv1: Conv2d;
  private readonly bn1: BatchNorm2d;
  private readonly conv2: Conv2d;
  private readonly bn2: BatchNorm2d;
  private readonly downsample: Downsample | undefined;

  constructor(cin: number, planes: number, stride: number, rng: Rng | undefined) {
    super();
    this.conv1 = this.addChild('conv1', new Conv2d(cin, planes, { kernel: 3, stride }, rng));
    this.bn1 = this.addChild('bn1', new BatchNorm2d(planes));
    this.conv2 = this.addChild('conv2', new Conv2d(planes, planes, { kernel: 3 }, rng));
    this.bn2 = this.addChild('bn2', new BatchNorm2d(planes, { zeroInit: true }));
    this.downsample = stride !== 1 || cin !== planes ? this.addChild('downsample', new Downsample(cin, planes, stride, rng)) : undefined;
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return tf.tidy(() => {
      const h = convBnAct(this.conv1, this.bn1, x, training, true);
      const y = convBnAct(this.conv2, this.bn2, h, training, false);
      const shortcut = this.downsample ? this.downsample.apply(x, training) : x;
      return tf.relu(tf.add(y, shortcut)) as tf.Tensor4D;
    });
  }
}

/** ResNet Bottleneck ("v1.5": stride on the 3×3 conv): 1×1 → 3×3 (stride) → 1×1 (4× planes), + shortcut, ReLU. */
class Bottleneck extends Module {
  static readonly expansion = 4;
  private readonly conv1: Conv2d;
  private readonly bn1: BatchNorm2d;
  private readonly conv2: Conv2d;
  private readonly bn2: BatchNorm2d;
  private readonly conv3: Conv2d;
  private readonly bn3: BatchNorm2d;
  private readonly downsample: Downsample | undefined;

  constructor(cin: number, planes: number, stride: number, rng: Rng | undefined) {
    super();
    const cout = planes * Bottleneck.expansion;
    this.conv1 = this.addChild('conv1', new Conv2d(cin, planes, { kernel: 1 }, rng));
    this.bn1 = this.addChild('bn1', new BatchNorm2d(planes));
    this.conv2 = this.addChild('conv2', new Conv2d(planes, planes, { kernel: 3, stride }, rng));
    this.bn2 = this.addChild('bn2', new BatchNorm2d(planes));
    this.conv3 = this.addChild('conv3', new Conv2d(planes, cout, { kernel: 1 }, rng));
    this.bn3 = this.addChild('bn3', new BatchNorm2d(cout, { zeroInit: true }));
    this.downsample = stride !== 1 || cin !== cout ? this.addChild('downsample', new Downsample(cin, cout, stride, rng)) : undefined;
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return tf.tidy(() => {
      const h1 = convBnAct(this.conv1, this.bn1, x, training, true);
      const h2 = convBnAct(this.conv2, this.bn2, h1, training, true);
      const y = convBnAct(this.conv3, this.bn3, h2, training, false);
      const shortcut = this.downsample ? this.downsample.apply(x, training) : x;
      return tf.relu(tf.add(y, shortcut)) as tf.Tensor4D;
    });
  }
}

type Block = BasicBlock | Bottleneck;

class Stage extends Module {
  readonly blocks: Block[] = [];
  constructor(kind: ResNetConfig['block'], cin: number, planes: number, depth: number, stride: number, rng: Rng | undefined) {
    super();
    const Ctor = kind === 'basic' ? BasicBlock : Bottleneck;
    for (let j = 0; j < depth; j++) {
      const block = new Ctor(j === 0 ? cin : planes * Ctor.expansion, planes, j === 0 ? stride : 1, rng);
      this.blocks.push(this.addChild(String(j), block));
    }
  }
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return tf.tidy(() => this.blocks.reduce((h, b) => b.apply(h, training), x));
  }
}

/** ResNet (He et al. 2016) as timm and torchvision build it, NHWC, with PyTorch-exact padding. */
export class ResNet extends ConvNet {
  readonly config: ResNetConfig;
  readonly numClasses: number;
  readonly inChannels: number;
  readonly numFeatures: number;
  readonly classifierPrefix = 'fc.';
  protected readonly classifier: FcClassifier;
  private readonly conv1: Conv2d;
  private readonly bn1: BatchNorm2d;
  private readonly stages: Stage[] = [];

  constructor(config: ResNetConfig, options: ConvNetOptions = {}) {
    super();
    const { depths, channels } = config;
    if (depths.length === 0 || depths.length !== channels.length) {
      throw new ConfigError('depths', `need one depth per stage width, got depths [${depths}] and channels [${channels}]`);
    }
    const strides = config.strides ?? channels.map((_, i) => (i === 0 ? 1 : 2));
    if (strides.length !== channels.length || !strides.every((v) => Number.isInteger(v) && v >= 1)) {
      throw new ConfigError('strides', `need one positive integer stride per stage, got [${strides}] for ${channels.length} stages`);
    }
    const rng = options.init === 'zeros' ? undefined : new Rng(options.seed ?? 0);
    this.config = config;
    this.numClasses = options.numClasses ?? 1000;
    this.inChannels = options.inChannels ?? 3;
    const imagenetStem = config.stem === 'imagenet';
    this.conv1 = this.addChild(
      'conv1',
      new Conv2d(this.inChannels, config.stemWidth, imagenetStem ? { kernel: 7, stride: 2, padding: 3 } : { kernel: 3 }, rng),
    );
    this.bn1 = this.addChild('bn1', new BatchNorm2d(config.stemWidth));
    const expansion = config.block === 'basic' ? 1 : 4;
    let cin = config.stemWidth;
    channels.forEach((planes, i) => {
      this.stages.push(this.addChild(`layer${i + 1}`, new Stage(config.block, cin, planes, depths[i]!, strides[i]!, rng)));
      cin = planes * expansion;
    });
    this.numFeatures = cin;
    this.classifier = this.addChild('fc', new FcClassifier(cin, this.numClasses, 'torch-default', rng));
  }

  /** Stem and stages; taps `maxpool` (the stem output) and `layer1`…`layerN`. */
  forwardFeatures(images: tf.Tensor4D, training: boolean, tap?: FeatureTap): tf.Tensor4D {
    return tf.tidy(() => {
      let x = convBnAct(this.conv1, this.bn1, images, training, true);
      if (this.config.stem === 'imagenet') {
        // PyTorch's max-pool padding never wins the max: pad with −∞, then pool without padding.
        x = tf.maxPool(padSpatial(x, 1, Number.NEGATIVE_INFINITY), 3, 2, 'valid');
        tap?.('maxpool', x);
      }
      this.stages.forEach((stage, i) => {
        x = stage.apply(x, training);
        tap?.(`layer${i + 1}`, x);
      });
      return x;
    });
  }
}
