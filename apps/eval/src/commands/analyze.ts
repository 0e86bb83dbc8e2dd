import { ConfigError } from '@deitjs/core';
import { type ModelChoice, analysisStudent, analyzeRun, namedModelChoice, runModelChoice } from '@deitjs/recipes';
import { readRunInfo } from '@deitjs/run';
import { type Command, useBackend } from '../command.js';
import { choiceFlag, intFlag, noPositionals, stringFlag } from '../flags.js';
import { formatTable } from '../table.js';

/** The teacher of `--teacher-run` or `--teacher/--teacher-weights`; undefined (the run's recorded teacher run) without. */
function teacherChoice(args: Parameters<Command['run']>[0]): ModelChoice | undefined {
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
  return undefined;
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
    analysisStudent(info);
    const { report, file } = await analyzeRun(info, {
      data: stringFlag(args, 'data'),
      split: choiceFlag(args, 'split', ['test', 'train'] as const),
      limit: intFlag(args, 'limit'),
      batchSize: intFlag(args, 'batch-size'),
      teacher: teacherChoice(args),
      beforeLoad: () => useBackend(args, io),
      warn,
    });
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
