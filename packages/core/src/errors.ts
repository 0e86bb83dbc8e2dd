import { escapeControl, quote, truncateText } from './quote.js';

/** Base class of every error deitjs throws on purpose; `code` is stable for programs to switch on. */
export class DeitError extends Error {
  /** A stable, machine-readable error code. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

// A checkpoint error is one line naming the file; hostile names and values in it are escaped and bounded.
const MAX_FILE_CHARS = 400;
const MAX_TENSOR_CHARS = 160;
const MAX_MESSAGE_CHARS = 1000;

/**
 * A checkpoint or tensor file that cannot be read: names the file and, where known, the tensor. The message is
 * one printable line: control characters in the file name, tensor name and detail are escaped, and each part
 * is cut to a bounded length (the `file` and `tensor` fields keep the full values).
 */
export class CheckpointError extends DeitError {
  /** Path of the file at fault. */
  readonly file: string;
  /** Name of the tensor (or pickle global) at fault, when there is one. */
  readonly tensor: string | undefined;
  constructor(file: string, message: string, tensor?: string, options?: { cause?: unknown }) {
    const where = truncateText(escapeControl(String(file)), MAX_FILE_CHARS);
    const what = tensor === undefined ? '' : ` [${tensorLabel(tensor)}]`;
    super('E_CHECKPOINT', `${where}${what}: ${truncateText(escapeControl(message), MAX_MESSAGE_CHARS)}`, options);
    this.file = file;
    this.tensor = tensor;
  }
}

/** A tensor name as shown in a message: printable and bounded; a name with control characters or quotes is quoted. */
function tensorLabel(name: string): string {
  const plain = escapeControl(name);
  if (plain === name && !name.includes('"')) return truncateText(name, MAX_TENSOR_CHARS);
  return quote(name, { maxLength: MAX_TENSOR_CHARS });
}

/** A state dict that does not fit a model: lists missing, unexpected and mis-shaped keys. */
export class StateDictMismatchError extends DeitError {
  /** Keys the model needs that the state dict lacks. */
  readonly missing: string[];
  /** Keys in the state dict that the model does not have. */
  readonly unexpected: string[];
  /** Keys whose shapes differ: `name: file [..] vs model [..]`. */
  readonly mismatched: string[];
  constructor(what: string, missing: string[], unexpected: string[], mismatched: string[]) {
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`missing keys (${missing.length}): ${missing.join(', ')}`);
    if (unexpected.length > 0) parts.push(`unexpected keys (${unexpected.length}): ${unexpected.join(', ')}`);
    if (mismatched.length > 0) parts.push(`mis-shaped keys (${mismatched.length}): ${mismatched.join('; ')}`);
    super('E_STATE_DICT', `${what} does not match the model: ${parts.join('; ')}`);
    this.missing = missing;
    this.unexpected = unexpected;
    this.mismatched = mismatched;
  }
}

/** An invalid option or configuration value: names the option. */
export class ConfigError extends DeitError {
  /** The option or config field at fault. */
  readonly option: string;
  constructor(option: string, message: string) {
    super('E_CONFIG', `${option}: ${message}`);
    this.option = option;
  }
}

/** A tensor argument of the wrong shape, dtype or value range: names the argument. */
export class ShapeError extends DeitError {
  /** The argument at fault. */
  readonly argument: string;
  constructor(argument: string, message: string) {
    super('E_SHAPE', `${argument}: ${message}`);
    this.argument = argument;
  }
}
