import { parseArgs } from 'node:util';
import { type BackendChoice, DeitError, parseBackendChoice } from '@deitjs/core';
import { type CliIO, printableIO, processIO } from './cli-io.js';
import type { Command, CommandOptions } from './command.js';
import * as registry from './commands/index.js';
import { resolveRemoteWeights, withPretrainedFlag } from './pretrained-args.js';
import { EXIT_USAGE, reportError } from './report-error.js';
import { formatTable } from './table.js';

/** Every registered subcommand, by name. */
export const COMMANDS: ReadonlyMap<string, Command> = new Map(Object.values(registry as Record<string, Command>).map((c) => [c.name, c]));

const GLOBAL_OPTIONS: CommandOptions = {
  backend: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
};

const GLOBAL_HELP = `Global options:
  --backend auto|tensorflow|wasm|cpu  TF.js backend of commands that compute (default: $DEIT_BACKEND, else auto)
  --json                              print one JSON document instead of text
  --help, -h                          show help (of a command when given after it)
Pretrained weights (commands taking --weights):
  --pretrained                        timm's weights of --model instead of --weights FILE
  --weights, --teacher-weights        also take pretrained, hf-hub:ORG/NAME[@REV] or an https URL
                                      (downloaded once into $HF_HOME/hub; HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE)
`;

export { EXIT_USAGE };

function usage(): string {
  const commands = formatTable(
    ['command', 'summary'],
    [...COMMANDS.values()].map((c) => [c.name, c.summary]),
  );
  return `Usage: deit-eval <command> [options]\n\n${commands}\n${GLOBAL_HELP}`;
}

/** The first argument that is neither a flag nor the value of `--backend`: the subcommand's name. */
function findCommandName(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv[i + 1];
    if (a === '--backend') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/**
 * Runs `deit-eval` with the given arguments and returns the exit code. Output goes to `io` (the process
 * streams by default). A DeitError or bad flag prints one line `deit-eval: <message>` and gives exit code 2.
 */
export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  try {
    const name = findCommandName(argv);
    const command = name === undefined ? undefined : COMMANDS.get(name);
    if (name !== undefined && command === undefined) {
      throw new DeitError('E_USAGE', `unknown command "${name}" (commands: ${[...COMMANDS.keys()].join(', ')}; see deit-eval --help)`);
    }
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...GLOBAL_OPTIONS, ...withPretrainedFlag(command?.options) },
      allowPositionals: true,
      strict: true,
    });
    if (values.help === true) {
      io.stdout.write(`${command === undefined ? usage() : `${command.usage}\n`}`);
      return 0;
    }
    if (command === undefined) {
      io.stderr.write(usage());
      return EXIT_USAGE;
    }
    const backend: BackendChoice =
      typeof values.backend === 'string'
        ? parseBackendChoice(values.backend, '--backend')
        : parseBackendChoice(io.env.DEIT_BACKEND ?? 'auto', 'DEIT_BACKEND');
    const { backend: _b, json, help: _h, ...own } = values;
    const withFiles = await resolveRemoteWeights(own, io);
    return await command.run({ positionals: positionals.slice(1), values: withFiles, backend, json: json === true }, printableIO(io, json === true));
  } catch (err) {
    return reportError('deit-eval', err, io);
  }
}

