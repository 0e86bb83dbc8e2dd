import { ConfigError, Module, Rng, roundHalfEven, tf } from '@deitjs/core';
import { ConvNormAct } from './conv-norm-act.js';
import { ConvNet, type FeatureTap } from './convnet.js';
import type { GroupedConvStrategy } from './grouped-conv.js';
import { FcClassifier } from './fc-classifier.js';
import { type RegNetParams, type RegNetStage, generateRegNetStages } from './regnet-config.js';
import type { ConvNetOptions } from './resnet.js';
import { SqueezeExcite } from './squeeze-excite.js';

/** Options of {@link RegNet} on top of {@link ConvNetOptions}. */
export interface RegNetOptions extends ConvNetOptions {
  /** How grouped 3×3 convolutions are emulated (default `auto`). */
  groupedStrategy?: GroupedConvStrategy;
}

/**
 * RegNet bottleneck (timm `Bottleneck`): conv1 1×1 → conv2 3×3 grouped (stride) → SE → conv3 1×1 (no act),
 * + shortcut (1×1 conv + BN `downsample` when the shape changes), ReLU.
 */
class RegBottleneck extends Module {
  private readonly conv1: ConvNormAct;
  private readonly conv2: ConvNormAct;
  private readonly se: SqueezeExcite | undefined;
  private readonly conv3: ConvNormAct;
  private readonly downsample: ConvNormAct | undefined;

  constructor(cin: number, cout: number, stride: number, groupSize: number, p: RegNetParams, strategy: GroupedConvStrategy, rng: Rng | undefined) {
    super();
    const bottleneck = roundHalfEven(cout * (p.bottleRatio ?? 1));
    const groups = Math.floor(bottleneck / groupSize);
    this.conv1 = this.addChild('conv1', new ConvNormAct(cin, bottleneck, { kernel: 1, relu: true }, rng));
    this.conv2 = this.addChild(
      'conv2',
      new ConvNormAct(bottleneck, bottleneck, { kernel: 3, stride, groups, groupedStrategy: strategy, relu: true }, rng),
    );
    // timm and torchvision size the squeeze from the block *input* width, not the bottleneck width.
    this.se = p.seRatio > 0 ? this.addChild('se', new SqueezeExcite(bottleneck, roundHalfEven(cin * p.seRatio), rng)) : undefined;
    this.conv3 = this.addChild('conv3', new ConvNormAct(bottleneck, cout, { kernel: 1, relu: false, zeroInitBn: true }, rng));
    this.downsample =
      cin !== cout || stride !== 1
        ? this.addChild('downsample', new ConvNormAct(cin, cout, { kernel: 1, stride, padding: 0, relu: false }, rng))
        : undefined;
  }

  apply(x: tf.Tensor4D, training: boolean, name: string, tap?: FeatureTap): tf.Tensor4D {
    return tf.tidy(() => {
      let h = this.conv2.apply(this.conv1.apply(x, training), training);
      if (this.se) {
        h = this.se.apply(h);
        tap?.(`${name}.se`, h);
      }
      h = this.conv3.apply(h, training);
      const shortcut = this.downsample ? this.downsample.apply(x, training) : x;
      return tf.relu(tf.add(h, shortcut)) as tf.Tensor4D;
    });
  }
}

class RegStage extends Module {
  private readonly blocks: RegBottleneck[] = [];
  constructor(cin: number, stage: RegNetStage, p: RegNetParams, strategy: GroupedConvStrategy, rng: Rng | undefined) {
    super();
    for (let j = 0; j < stage.depth; j++) {
      const block = new RegBottleneck(j === 0 ? cin : stage.width, stage.width, j === 0 ? stage.stride : 1, stage.groupSize, p, strategy, rng);
      this.blocks.push(this.addChild(`b${j + 1}`, block));
    }
  }
  apply(x: tf.Tensor4D, training: boolean, name: string, tap?: FeatureTap): tf.Tensor4D {
    return tf.tidy(() =>
      this.blocks.reduce((h, b, j) => {
        const y = b.apply(h, training, `${name}.b${j + 1}`, tap);
        tap?.(`${name}.b${j + 1}`, y);
        return y;
      }, x),
    );
  }
}

// timm wraps the classifier in a ClassifierHead, hence `head.fc.*`.
class Head extends Module {
  readonly fc: FcClassifier;
  constructor(features: number, classes: number, rng: Rng | undefined) {
    super();
    this.fc = this.addChild('fc', new FcClassifier(features, classes, 'normal-0.01', rng));
  }
}

/** RegNet (Radosavovic et al. 2020) as timm builds it (`regnety_*` names), NHWC, PyTorch-exact padding. */
export class RegNet extends ConvNet {
  readonly params: RegNetParams;
  readonly stages: readonly RegNetStage[];
  readonly numClasses: number;
  readonly inChannels: number;
  readonly numFeatures: number;
  readonly classifierPrefix = 'head.fc.';
  protected readonly classifier: FcClassifier;
  private readonly stem: ConvNormAct;
  private readonly trunk: RegStage[] = [];

  constructor(params: RegNetParams, options: RegNetOptions = {}) {
    super();
    const stages = generateRegNetStages(params);
    if (stages.length > 4) throw new ConfigError('regnet', `${stages.length} stages would exceed output stride 32 (dilation is not supported)`);
    const rng = options.init === 'zeros' ? undefined : new Rng(options.seed ?? 0);
    const strategy = options.groupedStrategy ?? 'auto';
    this.params = params;
    this.stages = stages;
    this.numClasses = options.numClasses ?? 1000;
    this.inChannels = options.inChannels ?? 3;
    const stemWidth = params.stemWidth ?? 32;
    this.stem = this.addChild('stem', new ConvNormAct(this.inChannels, stemWidth, { kernel: 3, stride: 2, relu: true }, rng));
    let cin = stemWidth;
    stages.forEach((stage, i) => {
      this.trunk.push(this.addChild(`s${i + 1}`, new RegStage(cin, stage, params, strategy, rng)));
      cin = stage.width;
    });
    this.numFeatures = cin;
    this.classifier = this.addChild('head', new Head(cin, this.numClasses, rng)).fc;
  }

  /** Stem and stages; taps `stem`, `s1`…`s4`, every block `sI.bJ` and its SE output `sI.bJ.se`. */
  forwardFeatures(images: tf.Tensor4D, training: boolean, tap?: FeatureTap): tf.Tensor4D {
    return tf.tidy(() => {
      let x = this.stem.apply(images, training);
      tap?.('stem', x);
      this.trunk.forEach((stage, i) => {
        x = stage.apply(x, training, `s${i + 1}`, tap);
        tap?.(`s${i + 1}`, x);
      });
      return x;
    });
  }
}
