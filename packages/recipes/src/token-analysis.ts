import { existsSync } from 'node:fs';
import { ConfigError, type Teacher, tf } from '@deitjs/core';
import { type DeiT, clsDistCosine } from '@deitjs/models';
import { ANALYSIS_FORMAT, type AnalysisReport, type RunInfo, readRunInfo } from '@deitjs/run';
import { type LoadedModel, type ModelChoice, asTeacher, loadModel, runModelChoice } from './load-model.js';

/** Labelled batches as a data loader's epoch yields them; each batch is disposed once read. */
export type LabelledBatches = AsyncIterable<{ images: tf.Tensor4D; targets: tf.Tensor1D | tf.Tensor2D }>;

/** What {@link analyzeTokens} analyses. */
export interface TokenAnalysisOptions {
  /** The distilled DeiT (see {@link analysisStudent}). */
  student: ModelChoice;
  /** A teacher to measure each head's agreement with. */
  teacher?: ModelChoice;
  /** The images and labels. */
  batches: LabelledBatches;
  /** One line naming the data (recorded in the report). */
  data: string;
  /** The run directory analysed (recorded in the report). */
  run: string;
  /** Where loading warnings go. */
  warn: (message: string) => void;
}

/** The distilled student of a run, to analyse; a ConfigError naming `option` when the run holds anything else. */
export function analysisStudent(info: RunInfo, option = '--run'): ModelChoice {
  if (info.kind !== 'student' || !info.distilled) {
    throw new ConfigError(option, `${info.dir} holds ${info.model}, not a distilled DeiT: the cls/dist analysis needs a dist token`);
  }
  return runModelChoice(info);
}

/** The teacher run a student's run.json records, when there is one and it is still there (otherwise a warning). */
export function recordedTeacher(runDir: string | undefined, warn: (message: string) => void): ModelChoice | undefined {
  if (runDir === undefined) return undefined;
  if (!existsSync(runDir)) {
    warn(`the run's teacher run ${runDir} is not there; analysing without a teacher (give --teacher-run)`);
    return undefined;
  }
  return runModelChoice(readRunInfo(runDir));
}

/**
 * The paper's distillation-token analysis of a distilled DeiT: cos(cls token, dist token) after every layer,
 * the heads' agreement, each head's top-1 and, with a teacher, each head's agreement with it. Loads the models
 * (the backend must be initialised), reads every batch and frees everything it loaded.
 */
export async function analyzeTokens(o: TokenAnalysisOptions): Promise<AnalysisReport> {
  const loaded: LoadedModel[] = [];
  let teacher: (Teacher & { dispose(): void }) | undefined;
  try {
    const s = loadModel(o.student, o.warn);
    loaded.push(s);
    if (o.teacher !== undefined) {
      const t = loadModel(o.teacher, o.warn);
      teacher = asTeacher(t, o.student.normalization);
      if (teacher.numClasses !== s.model.numClasses) {
        throw new ConfigError('--teacher', `${t.name} predicts ${teacher.numClasses} classes, the student ${s.model.numClasses}`);
      }
    }
    const report = await analyzeBatches(s, o.batches, teacher, o.data, o.run);
    if (teacher !== undefined) report.teacher = { ...report.teacher!, name: o.teacher!.name, run: o.teacher!.run?.dir ?? null };
    return report;
  } finally {
    for (const l of loaded) l.model.dispose();
    teacher?.dispose();
  }
}

/** Runs the analysis over the batches (disposing each); the teacher's name and run are filled in by the caller. */
async function analyzeBatches(s: LoadedModel, batches: LabelledBatches, teacher: Teacher | undefined, data: string, run: string): Promise<AnalysisReport> {
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
