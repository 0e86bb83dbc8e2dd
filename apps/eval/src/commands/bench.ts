import { ConfigError, Rng, type Teacher, loadStateDictFile, tf } from '@deitjs/core';
import { type DistillationType, baseCriterion, distillationLoss } from '@deitjs/losses';
import { type DeiT, createModel, isDeiTModel, resolveModel } from '@deitjs/models';
import { ENGINES, type Engine, onnxCacheDir, ortPackageName, ortTeacherOf, runModelChoice } from '@deitjs/recipes';
import { OrtClassifier, OrtTrainingEngine, onnxBytes } from '@deitjs/onnx';
import { readRunInfo } from '@deitjs/run';
import { type ConvNetTeacher, createTeacher } from '@deitjs/teachers';
import { AdamW, DataParallel, lossAndGradients, paramGroups } from '@deitjs/trainer';
import { type Command, useBackend } from '../command.js';
import { choiceFlag, intFlag, noPositionals, stringFlag } from '../flags.js';
import { dataParallelThreads, replicaScript } from '@deitjs/recipes';
import { formatCount, formatTable } from '../table.js';

/** Throughput of one phase. */
export interface PhaseTiming {
  /** Images per second of the median timed step (the warm-up step excluded). */
  imagesPerSecond: number;
  /** Median wall time of a timed step in milliseconds. */
  msPerStep: number;
  /** Wall time of every timed step in milliseconds. */
  stepsMs: number[];
}

/** The `bench --json` document. */
export interface BenchReport {
  model: string;
  /** Where the training step and the inference phase ran (onnx: each as one ONNX Runtime graph). */
  engine: Engine;
  teacher: string | null;
  /** Where the frozen teacher's forward pass ran (null without a teacher). */
  teacherEngine: Engine | null;
  distillationType: DistillationType;
  backend: string;
  batchSize: number;
  imgSize: number;
  numClasses: number;
  /** Timed steps per phase (after one warm-up step). */
  steps: number;
  /** Threads the training step ran on (data-parallel replicas + this one; 1 = no replicas). */
  dataParallel: number;
  /** Trainable parameters of the student. */
  parameters: number;
  /** Forward + backward + AdamW update (+ the teacher's forward); null when not measured (`--phases`). */
  train: PhaseTiming | null;
  /** Eval-mode forward; null when not measured (`--phases`). */
  inference: PhaseTiming | null;
  /** Largest resident set size sampled after every step, in MiB. */
  peakRssMiB: number;
  /** `tf.memory().numTensors` before anything was built, while training (model + optimiser state), and after disposal. */
  tensors: { before: number; training: number; after: number; growthPerStep: number };
}

const MIB = 1024 * 1024;

/** `--run DIR`: the run's model, weights, classes and input size (its recorded preprocessing's); not with --model/--weights. */
function runFlag(args: Parameters<Command['run']>[0]): { name: string; weights: string; numClasses?: number; imgSize: number } | undefined {
  const dir = stringFlag(args, 'run');
  if (dir === undefined) return undefined;
  if (args.values.model !== undefined || args.values.weights !== undefined) {
    throw new ConfigError('--run', 'give either --run DIR or --model NAME [--weights FILE], not both');
  }
  const choice = runModelChoice(readRunInfo(dir));
  return { name: choice.name, weights: choice.weights, numClasses: choice.numClasses, imgSize: choice.preprocessing.transform.size };
}

/** `deit-eval bench`: training and inference images/s of a DeiT on the current backend. */
export const bench: Command = {
  name: 'bench',
  summary: 'Training (fwd + bwd + AdamW, + teacher) and inference images/s, peak RSS and tensor counts on this backend',
  usage: [
    'Usage: deit-eval bench (--run DIR | --model NAME) [--teacher NAME] [--distillation-type hard|soft|none] [--batch-size N]',
    '                       [--img-size S] [--num-classes N] [--steps N] [--weights FILE] [--teacher-weights FILE]',
    '                       [--phases train,inference] [--data-parallel N] [--engine tfjs|onnx]',
    '                       [--teacher-engine tfjs|onnx] [--backend ...] [--json]',
    '',
    'Times training steps of a registered DeiT on random images (generated once, uploaded every step as a loader',
    "would): the forward pass in training mode, deit's DistillationLoss (label-smoothed CE, alpha 0.5, tau 1), the",
    'gradients (tf.variableGrads) and an AdamW update with timm\'s parameter groups, plus the teacher\'s forward pass',
    'with --teacher (a ResNet/RegNet of @deitjs/teachers, random unless --teacher-weights); then eval-mode forward',
    'passes. One warm-up step of each phase is not timed. --distillation-type defaults to hard with a teacher,',
    'none without. Reports images/s and ms of the median timed step, the peak RSS (sampled after every step) and tf.memory()',
    'tensor counts. --data-parallel N splits each training batch over this thread and N-1 worker-thread replicas',
    '(each its own backend; the teacher runs in each replica on its share). Defaults: --batch-size 32, --steps 10,',
    "--phases train,inference, --data-parallel 1, the model's size and class count. --run DIR (a deit-train run of a",
    "DeiT) times the run's model: its weights, classes and the input size of its recorded preprocessing.",
    '--engine onnx times inference and the training step on ONNX Runtime (the model exported in memory; the step',
    'as one graph of forward, loss and backward, AdamW still ours; onnxruntime-node, an optional dependency).',
    '--teacher-engine onnx runs the frozen teacher on ONNX Runtime (exported once per weights',
    'fingerprint into $DEIT_ONNX_CACHE, default deitjs-onnx in the OS temp folder), in this thread, one step after',
    'the other; with --data-parallel it runs here on the whole batch and its logits are sent to the replicas.',
  ].join('\n'),
  options: {
    run: { type: 'string' },
    model: { type: 'string' },
    teacher: { type: 'string' },
    'distillation-type': { type: 'string' },
    'batch-size': { type: 'string' },
    'img-size': { type: 'string' },
    'num-classes': { type: 'string' },
    steps: { type: 'string' },
    phases: { type: 'string' },
    weights: { type: 'string' },
    'teacher-weights': { type: 'string' },
    'data-parallel': { type: 'string' },
    engine: { type: 'string' },
    'teacher-engine': { type: 'string' },
  },
  async run(args, io) {
    noPositionals(args, 'bench');
    const run = runFlag(args);
    const name = run?.name ?? stringFlag(args, 'model', true, 'bench');
    // One registry for DeiTs and CNNs: unknown names are its ConfigError (with the near names).
    if (!isDeiTModel(name)) throw new ConfigError(run ? '--run' : '--model', `${resolveModel(name, '--model').name} is a CNN; bench times DeiTs (a CNN can be the --teacher)`);
    const teacherName = stringFlag(args, 'teacher');
    if (teacherName !== undefined && resolveModel(teacherName, '--teacher').family === 'deit') {
      throw new ConfigError('--teacher', `${teacherName} is a DeiT; the teacher is a CNN (resnet50, regnety_160, resnet_mnist, ...)`);
    }
    const type = choiceFlag(args, 'distillation-type', ['hard', 'soft', 'none'] as const) ?? (teacherName === undefined ? 'none' : 'hard');
    if (type !== 'none' && teacherName === undefined) throw new ConfigError('--distillation-type', `${type} distillation needs --teacher`);
    if (type === 'none' && teacherName !== undefined) throw new ConfigError('--teacher', 'is only used with --distillation-type hard or soft');
    const batchSize = intFlag(args, 'batch-size') ?? 32;
    const steps = intFlag(args, 'steps') ?? 10;
    const phases = (stringFlag(args, 'phases') ?? 'train,inference').split(',');
    for (const p of phases) if (p !== 'train' && p !== 'inference') throw new ConfigError('--phases', `unknown phase "${p}" (train, inference)`);
    const imgSizeFlag = intFlag(args, 'img-size') ?? run?.imgSize;
    const numClassesFlag = intFlag(args, 'num-classes') ?? run?.numClasses;
    const weightsFile = run?.weights ?? stringFlag(args, 'weights');
    const teacherWeights = stringFlag(args, 'teacher-weights');
    if (teacherWeights !== undefined && teacherName === undefined) throw new ConfigError('--teacher', 'is required with --teacher-weights');
    const weights = weightsFile === undefined ? undefined : loadStateDictFile(weightsFile);
    const teacherSd = teacherWeights === undefined ? undefined : loadStateDictFile(teacherWeights);
    const engine = choiceFlag(args, 'engine', ENGINES) ?? 'tfjs';
    const teacherEngine = choiceFlag(args, 'teacher-engine', ENGINES);
    if (teacherEngine !== undefined && teacherName === undefined) throw new ConfigError('--teacher-engine', 'needs --teacher');
    const threads = dataParallelThreads('--data-parallel', intFlag(args, 'data-parallel'));
    if (threads > batchSize) throw new ConfigError('--data-parallel', `${threads} threads need a batch of at least ${threads} images, got --batch-size ${batchSize}`);

    await useBackend(args, io);
    const warn = (m: string) => io.stderr.write(`deit-eval: warning: ${m}\n`);
    const before = tf.memory().numTensors;
    let peakRss = process.memoryUsage().rss;
    const sampleRss = () => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    };
    const numClasses = numClassesFlag ?? weights?.get('head.weight')?.shape[0];
    const model: DeiT = createModel(name, { numClasses, imgSize: imgSizeFlag, weights, source: weightsFile, warn, seed: 0 });
    let teacher: (Teacher & { dispose(): void | Promise<void> }) | undefined;
    let ort: OrtClassifier | undefined;
    let trainEngine: OrtTrainingEngine | undefined;
    let optimizer: AdamW | undefined;
    let dp: DataParallel | undefined;
    let report: BenchReport;
    try {
      if (type !== 'none' && !model.distilled) throw new ConfigError('--distillation-type', `${name} has no distillation head; use a *_distilled_* model or none`);
      if (teacherName !== undefined) {
        const tfTeacher: ConvNetTeacher = createTeacher(teacherName, { numClasses: model.numClasses, weights: teacherSd, source: teacherWeights, warn });
        teacher = tfTeacher;
        if (teacherEngine === 'onnx') {
          const onExport = (f: string) => io.stderr.write(`deit-eval: exporting teacher ${teacherName} to ONNX once (cache ${onnxCacheDir(io.env)}): ${f}\n`);
          try {
            teacher = await ortTeacherOf(tfTeacher, { env: io.env, onExport, imgSize: model.config.imgSize });
          } finally {
            tfTeacher.dispose();
          }
        }
        if (teacher.numClasses !== model.numClasses) {
          throw new ConfigError('--teacher-weights', `${teacherName} predicts ${teacher.numClasses} classes, the student ${model.numClasses}`);
        }
      }
      const imgSize = model.config.imgSize;
      const rng = new Rng(0);
      const images = Float32Array.from({ length: batchSize * imgSize * imgSize * 3 }, () => rng.normal());
      const labels = Int32Array.from({ length: batchSize }, () => rng.int(0, model.numClasses));
      const shape: [number, number, number, number] = [batchSize, imgSize, imgSize, 3];
      const variables = model.trainableVariables();
      optimizer = new AdamW(variables, paramGroups(variables));
      const loss = distillationLoss({ base: baseCriterion({ mixup: false, smoothing: 0.1 }), type });
      const dropPathRng = rng.fork();
      if (engine === 'onnx' && phases.includes('train')) {
        if (threads > 1) throw new ConfigError('--data-parallel', 'the onnx engine runs the training step on its own threads: use --data-parallel 1');
        const spec = { base: 'label-smoothing', smoothing: 0.1, type } as const;
        trainEngine = await OrtTrainingEngine.create(model, spec, { loader: { packageName: ortPackageName(io.env) } });
      }
      if (threads > 1) {
        dp = await DataParallel.start({
          script: await replicaScript(),
          replicas: threads - 1,
          replicaOptions: {
            model: name,
            numClasses: model.numClasses,
            imgSize,
            dropPathRate: model.config.dropPathRate,
            loss: { type, mixup: false, smoothing: 0.1 },
            ...(teacherName !== undefined && teacherEngine !== 'onnx' ? { teacher: { name: teacherName, ...(teacherWeights !== undefined ? { weights: teacherWeights } : {}) } } : {}),
          },
        });
        dp.checkModel(variables);
      }
      const gradientModel = { student: model, loss, variables, ...(teacher ? { teacher } : {}) };

      const trainStep = async (): Promise<void> => {
        const x = tf.tensor4d(images, shape);
        const y = tf.tensor1d(labels, 'int32');
        try {
          // lossAndGradients reads the loss, which waits for the whole step on asynchronous backends.
          const { grads } = dp
            ? await dp.lossAndGradients(gradientModel, x, y, undefined, dropPathRng)
            : await (trainEngine ?? { lossAndGradients }).lossAndGradients(gradientModel, x, y, undefined, dropPathRng);
          optimizer!.step(grads, 1e-4);
          tf.dispose([...grads.values()]);
        } finally {
          tf.dispose([x, y]);
        }
      };
      if (engine === 'onnx' && phases.includes('inference')) ort = await OrtClassifier.create(onnxBytes(model), { loader: { packageName: ortPackageName(io.env) } });
      const nchw: [number, number, number, number] = [batchSize, 3, imgSize, imgSize];
      const inferStep = async (): Promise<void> => {
        // Random pixels either way: ONNX Runtime takes them as NCHW, as exported models do.
        if (ort) {
          await ort.predict(images, nchw);
          return;
        }
        const out = tf.tidy(() => model.apply(tf.tensor4d(images, shape), { training: false }) as tf.Tensor2D);
        await out.data();
        out.dispose();
      };
      const time = async (step: () => Promise<void>, afterWarmup?: () => void, warmups = 1): Promise<PhaseTiming> => {
        for (let w = 0; w < warmups; w++) await step();
        sampleRss();
        afterWarmup?.();
        const ms: number[] = [];
        for (let s = 0; s < steps; s++) {
          const t0 = performance.now();
          await step();
          ms.push(performance.now() - t0);
          sampleRss();
        }
        // The median step, as the PyTorch reference figures: one slow step (GC, a busy neighbour) does not move it.
        const sorted = [...ms].sort((a, b) => a - b);
        const mid = sorted.length >> 1;
        const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
        return { imagesPerSecond: (batchSize * 1000) / median, msPerStep: median, stepsMs: ms };
      };
      let afterFirst = tf.memory().numTensors;
      const train = phases.includes('train')
        ? await time(
            trainStep,
            () => {
              afterFirst = tf.memory().numTensors;
            },
            // ONNX Runtime's first two runs of the training graph cost ~2.4× the CPU time of later ones (its arena grows).
            trainEngine ? 2 : 1,
          )
        : null;
      const training = tf.memory().numTensors;
      const inference = phases.includes('inference') ? await time(inferStep) : null;
      report = {
        model: name,
        engine,
        teacher: teacherName ?? null,
        teacherEngine: teacherName === undefined ? null : (teacherEngine ?? 'tfjs'),
        distillationType: type,
        backend: tf.getBackend(),
        batchSize,
        imgSize,
        numClasses: model.numClasses,
        steps,
        dataParallel: threads,
        parameters: [...variables.values()].reduce((s, v) => s + v.size, 0),
        train,
        inference,
        peakRssMiB: peakRss / MIB,
        tensors: { before, training, after: Number.NaN, growthPerStep: (training - afterFirst) / steps },
      };
    } finally {
      await dp?.close();
      await ort?.dispose();
      await trainEngine?.dispose();
      optimizer?.dispose();
      await teacher?.dispose();
      model.dispose();
    }
    report.tensors.after = tf.memory().numTensors;
    if (args.json) {
      io.stdout.write(`${JSON.stringify(report)}\n`);
      return 0;
    }
    const r = report;
    io.stdout.write(
      `${r.model}${r.teacher ? ` + teacher ${r.teacher} (${r.distillationType} distillation${r.teacherEngine === 'onnx' ? ', teacher on ONNX Runtime' : ''})` : ''} on ${r.backend}${r.engine === 'onnx' ? ' (ONNX Runtime engine)' : ''}${r.dataParallel > 1 ? ` (training on ${r.dataParallel} threads)` : ''}: batch ${r.batchSize}, ${r.imgSize} px, ${r.numClasses} classes, ${formatCount(r.parameters)} parameters, ${r.steps} timed steps\n\n`,
    );
    io.stdout.write(
      formatTable(
        ['phase', 'images/s', 'ms/step'],
        [
          ['train (fwd + bwd + AdamW)', r.train?.imagesPerSecond.toFixed(1) ?? '–', r.train?.msPerStep.toFixed(1) ?? '–'],
          ['inference (eval forward)', r.inference?.imagesPerSecond.toFixed(1) ?? '–', r.inference?.msPerStep.toFixed(1) ?? '–'],
        ],
        [false, true, true],
      ),
    );
    io.stdout.write(
      `\npeak RSS ${r.peakRssMiB.toFixed(0)} MiB; tensors: ${r.tensors.before} before, ${r.tensors.training} while training (growth per step ${r.tensors.growthPerStep}), ${r.tensors.after} after\n`,
    );
    return 0;
  },
};
