import { type CheckpointFormat, ConfigError, DTYPE_BYTES, detectCheckpointFormat, numel, readCheckpoint, readSafetensorsHeader } from '@deitjs/core';
import type { Command } from '../command.js';
import { formatCount, formatTable } from '../table.js';

const FORMAT_NAMES: Readonly<Record<CheckpointFormat, string>> = {
  safetensors: 'safetensors',
  'pth-zip': 'PyTorch .pth (zip)',
  'pth-legacy': 'PyTorch .pth (legacy)',
};

/** One tensor as `inspect --json` reports it. */
export interface InspectedTensor {
  name: string;
  dtype: string;
  shape: number[];
  elements: number;
  bytes: number;
}

/** The `inspect --json` document. */
export interface InspectReport {
  file: string;
  format: CheckpointFormat;
  /** Top-level key the state dict was unwrapped from (`model`, `state_dict`), or null. */
  wrapper: string | null;
  /** The other top-level keys of a wrapped checkpoint. */
  otherKeys: string[];
  /** safetensors `__metadata__`. */
  metadata: Record<string, string>;
  tensors: InspectedTensor[];
  totals: { tensors: number; parameters: number; bytes: number };
}

/** Reads a checkpoint and describes its state dict (no backend needed: nothing is computed). */
export function inspectCheckpoint(file: string): InspectReport {
  // A safetensors header says everything listed here (and is fully validated): the data, possibly hundreds of MB,
  // need not be read. A .pth has to be unpickled to find its tensors.
  const c =
    detectCheckpointFormat(file) === 'safetensors'
      ? (() => {
          const h = readSafetensorsHeader(file);
          return { format: 'safetensors' as const, tensors: h.entries.map((e) => [e.name, e] as const), wrapper: undefined, otherKeys: [], metadata: h.metadata };
        })()
      : readCheckpoint(file);
  const tensors = [...c.tensors].map(([name, t]): InspectedTensor => {
    const elements = numel(t.shape);
    return { name, dtype: t.dtype, shape: t.shape, elements, bytes: elements * DTYPE_BYTES[t.dtype] };
  });
  return {
    file,
    format: c.format,
    wrapper: c.wrapper ?? null,
    otherKeys: c.otherKeys,
    metadata: c.metadata,
    tensors,
    totals: {
      tensors: tensors.length,
      parameters: tensors.reduce((s, t) => s + t.elements, 0),
      bytes: tensors.reduce((s, t) => s + t.bytes, 0),
    },
  };
}

/** `deit-eval inspect FILE`: every tensor's name, dtype and shape, then totals. */
export const inspect: Command = {
  name: 'inspect',
  summary: "List a checkpoint's tensors (name, dtype, shape) and totals; .safetensors or .pth",
  usage: [
    'Usage: deit-eval inspect FILE [--json]',
    '',
    'Lists every tensor of a .safetensors or PyTorch .pth checkpoint (zip or legacy format, told apart by',
    'its first bytes) as an aligned table, then the totals. For a training checkpoint ({model: ..., ...})',
    'the tensors of its model are listed and the other top-level keys named.',
  ].join('\n'),
  run(args, io) {
    if (args.positionals.length !== 1) {
      throw new ConfigError('FILE', `inspect takes exactly one checkpoint file (got ${args.positionals.length})`);
    }
    const report = inspectCheckpoint(args.positionals[0]!);
    if (args.json) {
      io.stdout.write(`${JSON.stringify(report)}\n`);
      return 0;
    }
    const lines = [`${report.file}: ${FORMAT_NAMES[report.format]}`];
    if (report.wrapper !== null) {
      const others = report.otherKeys.length > 0 ? `; other top-level keys: ${report.otherKeys.join(', ')}` : '';
      lines.push(`state dict: '${report.wrapper}'${others}`);
    }
    for (const [k, v] of Object.entries(report.metadata)) lines.push(`metadata ${k}: ${v}`);
    io.stdout.write(`${lines.join('\n')}\n\n`);
    io.stdout.write(
      formatTable(
        ['name', 'dtype', 'shape'],
        report.tensors.map((t) => [t.name, t.dtype, `[${t.shape.join(', ')}]`]),
      ),
    );
    const { tensors, parameters, bytes } = report.totals;
    io.stdout.write(`\n${formatCount(tensors)} tensors, ${formatCount(parameters)} parameters, ${formatCount(bytes)} bytes\n`);
    return 0;
  },
};
