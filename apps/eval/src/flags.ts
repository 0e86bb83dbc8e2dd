import { ConfigError } from '@deitjs/core';
import type { CommandArgs } from './command.js';

/** A string flag's value; a ConfigError naming the flag when it is required and absent, or given empty. */
export function stringFlag(args: CommandArgs, name: string, required: true, command?: string): string;
export function stringFlag(args: CommandArgs, name: string, required?: false, command?: string): string | undefined;
export function stringFlag(args: CommandArgs, name: string, required = false, command = 'the command'): string | undefined {
  const v = args.values[name];
  if (v === undefined) {
    if (required) throw new ConfigError(`--${name}`, `is required (see deit-eval ${command} --help)`);
    return undefined;
  }
  if (typeof v !== 'string' || v === '') throw new ConfigError(`--${name}`, 'needs a value');
  return v;
}

/** A positive-integer flag's value (digits only), or undefined when absent. */
export function intFlag(args: CommandArgs, name: string): number | undefined {
  const v = stringFlag(args, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) throw new ConfigError(`--${name}`, `must be a positive integer, got "${v}"`);
  return n;
}

/** A flag restricted to a set of words, or undefined when absent. */
export function choiceFlag<T extends string>(args: CommandArgs, name: string, choices: readonly T[]): T | undefined {
  const v = stringFlag(args, name);
  if (v === undefined) return undefined;
  if (!(choices as readonly string[]).includes(v)) throw new ConfigError(`--${name}`, `"${v}" is not one of ${choices.join(', ')}`);
  return v as T;
}

/** Rejects positional arguments of a command that takes none. */
export function noPositionals(args: CommandArgs, command: string): void {
  if (args.positionals.length > 0) throw new ConfigError(command, `takes no positional arguments (got "${args.positionals[0]}")`);
}
