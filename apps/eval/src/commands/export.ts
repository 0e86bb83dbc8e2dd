import { ConfigError } from '@deitjs/core';
import type { CliIO } from '../cli-io.js';
import type { Command, CommandArgs, CommandOptions } from '../command.js';
import { stringFlag } from '../flags.js';
import { deitCheckpointFormat } from './export-deit-checkpoint.js';
import { onnxFormat } from './export-onnx.js';

/** One `deit-eval export --format` choice: its usage lines, its own flags and what it does. */
export interface ExportFormat {
  /** Usage lines of this format (after the common synopsis). */
  usage: string[];
  /** Flags only this format takes. */
  options: CommandOptions;
  /** Writes the export; returns the exit code. */
  run(args: CommandArgs, io: CliIO): Promise<number> | number;
}

/** The formats `deit-eval export` writes, by `--format` name (one row per format, each in its own file). */
const FORMATS: Readonly<Record<string, ExportFormat>> = {
  'deit-checkpoint': deitCheckpointFormat,
  onnx: onnxFormat,
};

/** `deit-eval export --format F ...`: writes a run (or model) in another tool's format. */
export const exportCommand: Command = {
  name: 'export',
  summary: "Write a run in another tool's format (deit-checkpoint: deit main.py's checkpoint.pth; onnx: ONNX / transformers.js)",
  usage: ['Usage: deit-eval export --format FORMAT [format options]', '', ...Object.entries(FORMATS).flatMap(([name, f]) => [`--format ${name}`, ...f.usage, ''])].join('\n'),
  options: Object.assign({ format: { type: 'string' } }, ...Object.values(FORMATS).map((f) => f.options)) as CommandOptions,
  run(args, io) {
    const name = stringFlag(args, 'format', true, 'export');
    const format = FORMATS[name];
    if (format === undefined) throw new ConfigError('--format', `"${name}" is not one of ${Object.keys(FORMATS).join(', ')}`);
    return format.run(args, io);
  },
};
