import { readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, DATA_SET_KINDS } from '@deitjs/core';
import { MNIST_DEFAULTS } from '@deitjs/data';
import { parse as parseYaml } from 'yaml';

/** The kinds of value an option takes. */
type Kind = 'number' | 'int' | 'string' | 'boolean';

interface OptionDef {
  /** camelCase key in the resolved options and in config files (kebab-case is accepted too). */
  key: keyof TrainOptions;
  kind: Kind;
  help: string;
  /** Allowed values for enum-like strings. */
  choices?: readonly string[];
  /** Inclusive numeric bounds. */
  min?: number;
  max?: number;
  /** Exclusive lower bound (e.g. tau > 0). */
  gt?: number;
}

/** Every option of `deit-train`, resolved (defaults from deit's main.py where one applies). */
export interface TrainOptions {
  config: string;
  data: string;
  dataSet: string;
  model: string;
  pretrained: boolean;
  inputSize: number;
  inChans: number;
  numClasses: number;
  batchSize: number;
  epochs: number;
  drop: number;
  dropPath: number;
  modelEma: boolean;
  modelEmaDecay: number;
  optEps: number;
  optBetas: string;
  clipGrad: number;
  weightDecay: number;
  lr: number;
  unscaleLr: boolean;
  warmupLr: number;
  minLr: number;
  warmupEpochs: number;
  accumSteps: number;
  colorJitter: number;
  aa: string;
  smoothing: number;
  reprob: number;
  mixup: number;
  cutmix: number;
  mixupProb: number;
  mixupSwitchProb: number;
  repeatedAug: boolean;
  threeAugment: boolean;
  bceLoss: boolean;
  shift: number;
  teacher: string;
  teacherWeights: string;
  teacherRun: string;
  teacherEngine: string;
  engine: string;
  engineThreads: number;
  distillationType: string;
  distillationAlpha: number;
  distillationTau: number;
  trainPerClass: number;
  testPerClass: number;
  evalCropRatio: number;
  numWorkers: number;
  dataParallel: number;
  seed: number;
  output: string;
  resume: string;
  backend: string;
  evalEvery: number;
  epochScale: number;
  seeds: string;
  json: boolean;
}

/** The option table: one line per option; names are deit's (`--batch-size`), camelCase in config files. */
export const OPTION_DEFS: readonly OptionDef[] = [
  { key: 'config', kind: 'string', help: 'JSON or YAML file of options (flags override it)' },
  { key: 'data', kind: 'string', help: "training data: an ImageFolder root (with train/ and val/), a CIFAR folder of *.bin, or 'mnist'" },
  { key: 'dataSet', kind: 'string', choices: ['auto', ...DATA_SET_KINDS], help: 'how to read --data' },
  { key: 'model', kind: 'string', help: 'student model name (see deit-eval models)' },
  {
    key: 'pretrained',
    kind: 'boolean',
    help: "start from timm's pretrained weights of --model (downloaded once into the Hugging Face cache; other class counts get new heads)",
  },
  { key: 'inputSize', kind: 'int', min: 8, help: 'image size in pixels' },
  { key: 'inChans', kind: 'int', min: 0, max: 3, help: "input channels (timm's in_chans): 1 grey, 3 RGB; 0 = 1 for MNIST, 3 otherwise" },
  { key: 'numClasses', kind: 'int', min: 0, help: 'number of classes (0: from the data set)' },
  { key: 'batchSize', kind: 'int', min: 1, help: 'batch size' },
  { key: 'epochs', kind: 'int', min: 1, help: 'epochs' },
  { key: 'drop', kind: 'number', min: 0, max: 1, help: 'dropout rate (deit default 0)' },
  { key: 'dropPath', kind: 'number', min: 0, max: 1, help: 'stochastic depth rate' },
  { key: 'modelEma', kind: 'boolean', help: 'keep an exponential moving average of the weights' },
  { key: 'modelEmaDecay', kind: 'number', min: 0, max: 1, help: 'EMA decay' },
  { key: 'optEps', kind: 'number', gt: 0, help: 'AdamW epsilon' },
  { key: 'optBetas', kind: 'string', help: "AdamW betas as 'b1,b2'" },
  { key: 'clipGrad', kind: 'number', min: 0, help: 'clip gradients to this global norm (0: off)' },
  { key: 'weightDecay', kind: 'number', min: 0, help: 'decoupled weight decay' },
  { key: 'lr', kind: 'number', gt: 0, help: 'peak learning rate before scaling (lr·batch/512 unless --unscale-lr)' },
  { key: 'unscaleLr', kind: 'boolean', help: 'use --lr as given, without the batch-size scaling rule' },
  { key: 'warmupLr', kind: 'number', min: 0, help: 'learning rate at the start of warmup' },
  { key: 'minLr', kind: 'number', min: 0, help: 'floor of the cosine schedule' },
  { key: 'warmupEpochs', kind: 'number', min: 0, help: 'linear warmup epochs' },
  { key: 'accumSteps', kind: 'int', min: 1, help: 'gradient accumulation steps' },
  { key: 'colorJitter', kind: 'number', min: 0, help: 'colour jitter strength (used without --aa, and by 3-Augment)' },
  { key: 'aa', kind: 'string', help: "RandAugment policy, e.g. 'rand-m9-mstd0.5-inc1', or 'none'" },
  { key: 'smoothing', kind: 'number', min: 0, max: 0.999, help: 'label smoothing' },
  { key: 'reprob', kind: 'number', min: 0, max: 1, help: 'random erasing probability' },
  { key: 'mixup', kind: 'number', min: 0, help: 'mixup alpha (0: off)' },
  { key: 'cutmix', kind: 'number', min: 0, help: 'cutmix alpha (0: off)' },
  { key: 'mixupProb', kind: 'number', min: 0, max: 1, help: 'probability of mixing a batch' },
  { key: 'mixupSwitchProb', kind: 'number', min: 0, max: 1, help: 'probability of cutmix instead of mixup' },
  { key: 'repeatedAug', kind: 'boolean', help: 'repeated augmentation sampler (3 repeats)' },
  { key: 'threeAugment', kind: 'boolean', help: "DeiT-III's 3-Augment instead of RandAugment" },
  { key: 'bceLoss', kind: 'boolean', help: 'binary cross-entropy instead of cross-entropy' },
  { key: 'shift', kind: 'int', min: 0, help: 'light augmentation: random shift up to ±N pixels (MNIST recipe)' },
  { key: 'teacher', kind: 'string', help: 'teacher model name (e.g. regnety_160, resnet50)' },
  {
    key: 'teacherWeights',
    kind: 'string',
    help: "teacher checkpoint (.safetensors or .pth), or downloaded: pretrained (timm's weights of --teacher), hf-hub:ORG/NAME[@REV], an https URL",
  },
  { key: 'teacherRun', kind: 'string', help: 'a run directory of deit-train whose model is the teacher' },
  {
    key: 'teacherEngine',
    kind: 'string',
    choices: ['tfjs', 'onnx'],
    help: 'where the frozen teacher runs: onnx = ONNX Runtime (onnxruntime-node; exported once per weights into $DEIT_ONNX_CACHE, default <tmp>/deitjs-onnx)',
  },
  {
    key: 'engine',
    kind: 'string',
    choices: ['tfjs', 'onnx'],
    help: "what computes the student's training step: onnx = one ONNX Runtime graph (onnxruntime-node; DeiT students)",
  },
  { key: 'engineThreads', kind: 'int', min: 0, help: 'onnx engine: ONNX Runtime intra-op threads (0: one per physical core)' },
  { key: 'distillationType', kind: 'string', choices: ['none', 'soft', 'hard'], help: 'distillation type' },
  { key: 'distillationAlpha', kind: 'number', min: 0, max: 1, help: 'weight of the distillation loss' },
  { key: 'distillationTau', kind: 'number', gt: 0, help: 'soft distillation temperature' },
  { key: 'trainPerClass', kind: 'int', min: 1, help: 'MNIST: training images per class' },
  { key: 'testPerClass', kind: 'int', min: 1, help: 'MNIST: test images per class' },
  { key: 'evalCropRatio', kind: 'number', gt: 0, max: 1, help: 'eval resize: shorter side = size / ratio, then centre crop' },
  { key: 'numWorkers', kind: 'int', min: 0, help: 'data loader worker threads' },
  { key: 'dataParallel', kind: 'int', min: 1, max: 64, help: 'training threads: each batch split over this thread and N-1 worker-thread replicas (1 = off)' },
  { key: 'seed', kind: 'int', min: 0, help: 'random seed' },
  { key: 'output', kind: 'string', help: 'run directory' },
  { key: 'resume', kind: 'string', help: "resume from a run directory (or its checkpoint-last), or from deit main.py's checkpoint.pth" },
  { key: 'backend', kind: 'string', choices: ['auto', 'tensorflow', 'wasm', 'cpu'], help: 'TF.js backend (default: DEIT_BACKEND or auto)' },
  { key: 'evalEvery', kind: 'int', min: 1, help: 'evaluate every N epochs' },
  { key: 'json', kind: 'boolean', help: 'print the result as JSON on stdout (a single run; the main job: per-seed accuracies and paired statistics)' },
  { key: 'seeds', kind: 'string', help: "main job only: run it once per seed ('0,1,2'), then mean ± std per stage and the paired Δ of each distilled student" },
  { key: 'epochScale', kind: 'number', gt: 0, help: 'main job only: scale its epochs (1 = the recipe; 0.1 for a quick look)' },
];

/** deit's defaults, adapted where deitjs has no equivalent (no distributed run: repeated aug off). */
export const DEFAULT_OPTIONS: TrainOptions = {
  config: '',
  data: 'mnist',
  dataSet: 'auto',
  model: 'deit_tiny_distilled_patch16_224',
  pretrained: false,
  inputSize: 224,
  inChans: 0,
  numClasses: 0,
  batchSize: 64,
  epochs: 300,
  drop: 0,
  dropPath: 0.1,
  modelEma: false,
  modelEmaDecay: 0.99996,
  optEps: 1e-8,
  optBetas: '0.9,0.999',
  clipGrad: 0,
  weightDecay: 0.05,
  lr: 5e-4,
  unscaleLr: false,
  warmupLr: 1e-6,
  minLr: 1e-5,
  warmupEpochs: 5,
  accumSteps: 1,
  colorJitter: 0.3,
  aa: 'rand-m9-mstd0.5-inc1',
  smoothing: 0.1,
  reprob: 0.25,
  mixup: 0.8,
  cutmix: 1.0,
  mixupProb: 1.0,
  mixupSwitchProb: 0.5,
  repeatedAug: false,
  threeAugment: false,
  bceLoss: false,
  shift: 0,
  teacher: 'regnety_160',
  teacherWeights: '',
  teacherRun: '',
  teacherEngine: 'tfjs',
  engine: 'tfjs',
  engineThreads: 0,
  distillationType: 'none',
  distillationAlpha: 0.5,
  distillationTau: 1.0,
  trainPerClass: MNIST_DEFAULTS.trainPerClass,
  testPerClass: MNIST_DEFAULTS.testPerClass,
  evalCropRatio: 0.875,
  numWorkers: 0,
  dataParallel: 1,
  seed: 0,
  output: '',
  resume: '',
  backend: '',
  evalEvery: 1,
  epochScale: 1,
  seeds: '',
  json: false,
};

const kebab = (k: string): string => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const camel = (k: string): string => k.replace(/[-_]([a-z])/g, (_, c: string) => c.toUpperCase());
const byKey = new Map(OPTION_DEFS.map((d) => [d.key as string, d]));

function coerce(def: OptionDef, raw: unknown, where: string): string | number | boolean {
  const name = `${where}${kebab(def.key)}`;
  let v: string | number | boolean;
  if (def.kind === 'boolean') {
    if (typeof raw === 'boolean') v = raw;
    else if (raw === 'true' || raw === '1') v = true;
    else if (raw === 'false' || raw === '0') v = false;
    else throw new ConfigError(name, `expected true or false, got ${JSON.stringify(raw)}`);
  } else if (def.kind === 'string') {
    if (typeof raw !== 'string') throw new ConfigError(name, `expected a string, got ${JSON.stringify(raw)}`);
    v = raw;
    if (def.choices && !def.choices.includes(v)) throw new ConfigError(name, `"${v}" is not one of ${def.choices.join(', ')}`);
  } else {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
    if (!Number.isFinite(n)) throw new ConfigError(name, `expected a number, got ${JSON.stringify(raw)}`);
    if (def.kind === 'int' && !Number.isInteger(n)) throw new ConfigError(name, `expected a whole number, got ${n}`);
    if (def.min !== undefined && n < def.min) throw new ConfigError(name, `must be ≥ ${def.min}, got ${n}`);
    if (def.max !== undefined && n > def.max) throw new ConfigError(name, `must be ≤ ${def.max}, got ${n}`);
    if (def.gt !== undefined && n <= def.gt) throw new ConfigError(name, `must be > ${def.gt}, got ${n}`);
    v = n;
  }
  return v;
}

/** Reads a JSON or YAML config file into option values (camelCase or kebab-case keys), validating each. */
export function readConfigFile(file: string): Partial<TrainOptions> {
  let text: string;
  try {
    // A FIFO or device would block or never end: only a regular file is read.
    if (!statSync(file).isFile()) throw new Error('not a regular file');
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('--config', `cannot read ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError('--config', `${file} is not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError('--config', `${file} must hold a mapping of options`);
  const out: Record<string, string | number | boolean> = {};
  for (const [k, raw] of Object.entries(parsed as Record<string, unknown>)) {
    const def = byKey.get(camel(k));
    if (!def || def.key === 'config') throw new ConfigError(`${file}: ${k}`, 'unknown option');
    out[def.key] = coerce(def, raw, `${file}: `);
  }
  return out as Partial<TrainOptions>;
}

/** The result of parsing a command line: resolved options, which were set explicitly, and positionals. */
export interface ParsedCommandLine {
  /** Every option, resolved: defaults ← config file ← flags. */
  options: TrainOptions;
  /** Keys given by a flag or the config file (to tell a default from a choice). */
  explicit: Set<keyof TrainOptions>;
  /** `--help` was given. */
  help: boolean;
}

/** Parses `deit-train` flags (kebab-case, as deit's main.py) over an optional config file, validating each. */
export function parseTrainArgs(argv: readonly string[]): ParsedCommandLine {
  const flagSpec: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const d of OPTION_DEFS) {
    flagSpec[kebab(d.key)] = { type: d.kind === 'boolean' ? 'boolean' : 'string' };
    if (d.kind === 'boolean') flagSpec[`no-${kebab(d.key)}`] = { type: 'boolean' };
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: flagSpec, strict: true, allowPositionals: false }));
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0]!;
    const m = /'(--?[^' ]+)/.exec(msg);
    throw new ConfigError(m?.[1] ?? 'arguments', msg.replace(/\. To specify.*$/, ''));
  }
  const explicit = new Set<keyof TrainOptions>();
  let options: TrainOptions = { ...DEFAULT_OPTIONS };
  const configFile = typeof values.config === 'string' ? values.config : '';
  if (configFile !== '') {
    const fromFile = readConfigFile(configFile);
    options = { ...options, ...fromFile };
    for (const k of Object.keys(fromFile)) explicit.add(k as keyof TrainOptions);
  }
  for (const d of OPTION_DEFS) {
    const flag = kebab(d.key);
    let raw = values[flag];
    if (d.kind === 'boolean' && values[`no-${flag}`] === true) raw = false;
    if (raw === undefined) continue;
    (options as unknown as Record<string, unknown>)[d.key] = coerce(d, raw, '--');
    explicit.add(d.key);
  }
  return { options, explicit, help: values.help === true };
}

/** The `--help` text, generated from the option table. */
export function trainUsage(): string {
  const lines = [
    'usage: deit-train [options]',
    '',
    'With no options: the embedded MNIST job (a CNN teacher; soft- and hard-distilled DeiTs and their non-distilled twin).',
    'Options (also accepted as camelCase keys in a --config JSON/YAML file; flags override the file):',
  ];
  for (const d of OPTION_DEFS) {
    const flag = `--${kebab(d.key)}${d.kind === 'boolean' ? '' : ` <${d.choices ? d.choices.join('|') : d.kind}>`}`;
    const def = DEFAULT_OPTIONS[d.key];
    lines.push(`  ${flag.padEnd(44)} ${d.help}${def === '' || def === false ? '' : ` (default ${def})`}`);
  }
  return lines.join('\n');
}

/** Parses `--seeds` ('0,1,2'; ranges such as '0-8' too): distinct non-negative integers in the order given. */
export function parseSeedList(text: string): number[] {
  const seeds: number[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) {
      const [a, b] = [Number(range[1]), Number(range[2])];
      if (b < a) throw new ConfigError('--seeds', `the range "${part}" runs backwards`);
      for (let k = a; k <= b; k++) seeds.push(k);
    } else if (/^\d+$/.test(part)) seeds.push(Number(part));
    else throw new ConfigError('--seeds', `expected non-negative integers separated by commas (e.g. 0,1,2 or 0-8), got "${text}"`);
  }
  if (new Set(seeds).size !== seeds.length) throw new ConfigError('--seeds', `a seed is repeated in "${text}"`);
  if (seeds.some((k) => !Number.isSafeInteger(k))) throw new ConfigError('--seeds', `a seed is too large in "${text}"`);
  return seeds;
}
