import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type Teacher, tf, writeFileAtomic } from '@deitjs/core';
import { type DeiT, clsDistCosine } from '@deitjs/models';
import { type Command, useBackend } from '../command.js';
import { evalData } from '../eval-data.js';
import { choiceFlag, intFlag, noPositionals, stringFlag } from '../flags.js';
import { type LoadedModel, type ModelChoice, asTeacher, loadModel, namedModelChoice, runModelChoice } from '../load-model.js';
import { readRunInfo, teacherRunDir } from '../run-info.js';
import { formatTable } from '../table.js';

/** The file `analyze` writes into the run directory (read by deit-train's HTML report). */
export const ANALYSIS_FILE = 'analysis.json';

/** The `format` of {@link AnalysisReport}. */
export const ANALYSIS_FORMAT = 'deitjs-analysis/1';

/** Percentages of one distilled model's predictions (eval output = mean of the heads). */
export interface HeadPercents {
  output: number;
  cls: number;
  dist: number;
}

/** The `analyze --json` document and the content of `analysis.json`. */
export interface AnalysisReport {
  format: typeof ANALYSIS_FORMAT;
  model: string;
  weights: string;
  run: string;
  /** The analysed data. */
  data: string;
  count: number;
  /** Mean (and standard deviation over images) of cos(cls token, dist token) after each layer, in forward order. */
  layers: { name: string; cosine: number; std: number }[];
  /** Percent of images on which argmax of the cls head equals argmax of the dist head. */
  headAgreement: number;
  /** Top-1 accuracy (percent) of each head against the labels. */
  top1: HeadPercents;
  /** The teacher, when one was given or recorded by the run. */
  teacher?: {
    name: string;
    run: string | null;
    /** Percent of images on which each head's argmax equals the teacher's. */
    agreement: HeadPercents;
    /** The teacher's own top-1 (percent). */
    top1: number;
  };
}

/** The teacher of `--teacher-run`, `--teacher/--teacher-weights`, or the run's recorded teacher run. */
function teacherChoice(args: Parameters<Command['run']>[0], recorded: string | undefined, warn: (m: string) => void): ModelChoice | undefined {
  const runDir = stringFlag(args, 'teacher-run');
  const name = stringFlag(args, 'teacher');
  const weights = stringFlag(args, 'teacher-weights');
  if (runDir !== undefined && (name !== undefined || weights !== undefined)) {
    throw new ConfigError('--teacher-run', 'give either --teacher-run DIR or --teacher NAME --teacher-weights FILE, not both');
  }
  if (runDir !== undefined) return runModelChoice(readRunInfo(runDir));
  if (name !== undefined) {
    if (weights === undefined) throw new ConfigError('--teacher-weights', 'is required with --teacher');
    return namedModelChoice(name, weights, '--teacher');
  }
  if (weights !== undefined) throw new ConfigError('--teacher', 'is required with --teacher-weights');
  if (recorded === undefined) return undefined;
  if (!existsSync(recorded)) {
    warn(`the run's teacher run ${recorded} is not there; analysing without a teacher (give --teacher-run)`);
    return undefined;
  }
  return runModelChoice(readRunInfo(recorded));
}

const f2 = (x: number): string => x.toFixed(2);

/** `deit-eval analyze`: what the distillation token learned, per layer and per head. */
export const analyze: Command = {
  name: 'analyze',
  summary: 'Cosine of the cls and dist tokens at every layer, head and teacher agreement of a distilled run; writes analysis.json',
  usage: [
    'Usage: deit-eval analyze --run DIR [--teacher-run DIR | --teacher NAME --teacher-weights FILE] [--data mnist|PATH]',
    '                         [--split test|train] [--limit N] [--batch-size N] [--backend ...] [--json]',
    '',
    "The DeiT paper's token analysis for a distilled student (a deit-train run directory): the cosine similarity",
    'of the cls and dist tokens after pos_drop (the encoder input), after every block and after the final norm,',
    'averaged over the images; the percentage of images on which the two heads agree (argmax); each head\'s top-1;',
    "and, with a teacher, each head's agreement with the teacher's argmax. The teacher defaults to the run's",
    'recorded teacher run. Data as in `deit-eval accuracy` (default: the run\'s test split); --limit (default',
    '1000) takes that many images spread evenly over the split. Writes DIR/analysis.json (atomically), which',
    "deit-train's report.html plots.",
  ].join('\n'),
  options: {
    run: { type: 'string' },
    'teacher-run': { type: 'string' },
    teacher: { type: 'string' },
    'teacher-weights': { type: 'string' },
    data: { type: 'string' },
    split: { type: 'string' },
    limit: { type: 'string' },
    'batch-size': { type: 'string' },
  },
  async run(args, io) {
    noPositionals(args, 'analyze');
    const warn = (m: string) => io.stderr.write(`deit-eval: warning: ${m}\n`);
    const info = readRunInfo(stringFlag(args, 'run', true, 'analyze'));
    if (info.kind !== 'student' || !info.distilled) {
      throw new ConfigError('--run', `${info.dir} holds ${info.model}, not a distilled DeiT: the cls/dist analysis needs a dist token`);
    }
    const student = runModelChoice(info);
    const split = choiceFlag(args, 'split', ['test', 'train'] as const) ?? 'test';
    const limit = intFlag(args, 'limit') ?? 1000;
    const batchSize = intFlag(args, 'batch-size') ?? 64;
    const teacherPick = teacherChoice(args, teacherRunDir(info), warn);
    const ed = evalData({ data: stringFlag(args, 'data') ?? info.data.data, split, imgSize: student.imgSize, normalization: student.normalization, batchSize, run: info.data, limit });
    await useBackend(args, io);
    const loaded: LoadedModel[] = [];
    let teacher: (Teacher & { dispose(): void }) | undefined;
    let report: AnalysisReport;
    try {
      const s = loadModel(student, warn);
      loaded.push(s);
      if (teacherPick !== undefined) {
        const t = loadModel(teacherPick, warn);
        teacher = asTeacher(t, student.normalization);
        if (teacher.numClasses !== s.model.numClasses) {
          throw new ConfigError('--teacher', `${t.name} predicts ${teacher.numClasses} classes, the student ${s.model.numClasses}`);
        }
      }
      report = await analyzeBatches(s, ed.loader.epoch(0), teacher, ed.description, info.dir);
      if (teacher !== undefined) report.teacher = { ...report.teacher!, name: teacherPick!.name, run: teacherPick!.run?.dir ?? null };
    } finally {
      for (const l of loaded) l.model.dispose();
      teacher?.dispose();
    }
    const file = join(info.dir, ANALYSIS_FILE);
    writeFileAtomic(file, [`${JSON.stringify(report, null, 2)}\n`]);
    if (args.json) {
      io.stdout.write(`${JSON.stringify(report)}\n`);
      return 0;
    }
    io.stdout.write(`${report.model} (${report.weights}) on ${report.data}: ${report.count} images\n\n`);
    io.stdout.write(
      formatTable(
        ['layer', 'cos(cls, dist)', 'std'],
        report.layers.map((l) => [l.name, l.cosine.toFixed(4), l.std.toFixed(4)]),
        [false, true, true],
      ),
    );
    const t1 = report.top1;
    const lines = [
      '',
      `heads agree (argmax cls = argmax dist): ${f2(report.headAgreement)}%`,
      `top-1: output ${f2(t1.output)}%, cls head ${f2(t1.cls)}%, dist head ${f2(t1.dist)}%`,
    ];
    if (report.teacher) {
      const a = report.teacher.agreement;
      lines.push(`agreement with teacher ${report.teacher.name}: output ${f2(a.output)}%, cls head ${f2(a.cls)}%, dist head ${f2(a.dist)}% (teacher top-1 ${f2(report.teacher.top1)}%)`);
    }
    lines.push(`wrote ${file}`);
    io.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};

/** Runs the analysis over the batches (disposing each); the teacher's name and run are filled in by the caller. */
async function analyzeBatches(
  s: LoadedModel,
  batches: AsyncIterable<{ images: tf.Tensor4D; targets: tf.Tensor1D | tf.Tensor2D }>,
  teacher: Teacher | undefined,
  data: string,
  run: string,
): Promise<AnalysisReport> {
  const model = s.model as DeiT;
  let layers: string[] = [];
  let cos = new Float64Array(0);
  let cosSq = new Float64Array(0);
  // headAgree, hits output/cls/dist, teacher agree output/cls/dist, teacher hits
  const counts = new Float64Array(8);
  let n = 0;
  for await (const batch of batches) {
    try {
      const r = clsDistCosine(model, batch.images);
      let stats: tf.Tensor1D;
      try {
        stats = tf.tidy(() => {
          const labels = batch.targets.rank === 2 ? tf.argMax(batch.targets, 1) : tf.cast(batch.targets, 'int32');
          const agree = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.cast(tf.equal(a, b), 'float32'));
          const ac = tf.argMax(r.cls, 1);
          const ad = tf.argMax(r.dist, 1);
          // The eval output is (cls + dist) / 2; halving does not move the argmax.
          const am = tf.argMax(tf.add(r.cls, r.dist), 1);
          const perImage = [agree(ac, ad), agree(am, labels), agree(ac, labels), agree(ad, labels)];
          if (teacher !== undefined) {
            const at = tf.argMax(teacher.predict(batch.images), 1);
            perImage.push(agree(am, at), agree(ac, at), agree(ad, at), agree(at, labels));
          }
          // The cosines themselves come back (layers × batch values) so that their spread is summed in float64.
          return tf.concat([tf.reshape(r.cosine, [-1]), tf.stack(perImage)]) as tf.Tensor1D;
        });
      } finally {
        tf.dispose([r.cosine, r.cls, r.dist]);
      }
      const v = await stats.data();
      stats.dispose();
      if (layers.length === 0) {
        layers = r.layers;
        cos = new Float64Array(layers.length);
        cosSq = new Float64Array(layers.length);
      }
      const L = layers.length;
      const b = batch.images.shape[0];
      for (let l = 0; l < L; l++) {
        for (let i = 0; i < b; i++) {
          const c = v[l * b + i]!;
          cos[l]! += c;
          cosSq[l]! += c * c;
        }
      }
      for (let k = 0; k < v.length - L * b; k++) counts[k]! += v[L * b + k]!;
      n += b;
    } finally {
      batch.images.dispose();
      batch.targets.dispose();
    }
  }
  const pct = (x: number): number => (100 * x) / n;
  const report: AnalysisReport = {
    format: ANALYSIS_FORMAT,
    model: s.name,
    weights: s.weights,
    run,
    data,
    count: n,
    layers: layers.map((name, l) => {
      const mean = cos[l]! / n;
      return { name, cosine: mean, std: Math.sqrt(Math.max(0, cosSq[l]! / n - mean * mean)) };
    }),
    headAgreement: pct(counts[0]!),
    top1: { output: pct(counts[1]!), cls: pct(counts[2]!), dist: pct(counts[3]!) },
  };
  if (teacher !== undefined) {
    report.teacher = { name: teacher.name, run: null, agreement: { output: pct(counts[4]!), cls: pct(counts[5]!), dist: pct(counts[6]!) }, top1: pct(counts[7]!) };
  }
  return report;
}
