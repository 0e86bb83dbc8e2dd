// The browser entry's stand-ins for core's file-system functions: the same names and signatures, so platform-neutral
// code in other packages (e.g. `loadWeights(model, path | StateDict)`) bundles for a browser, and a path given there
// fails with a message saying what to use instead. Node's entry (index.ts) exports the real functions.
import { ConfigError } from '../errors.js';
import type { StateDict } from '../tensor-data.js';
import type { CheckpointContents } from './state-dict-file.js';
import type { ReadSafetensorsOptions } from './safetensors-format.js';

function needsNode(what: string, file: string): never {
  throw new ConfigError(
    'file',
    `${what}(${JSON.stringify(file)}) reads or writes the file system, which only Node has; in a browser load weights with ` +
      'loadSafetensors(url | Blob | ArrayBuffer) and pass the StateDict, and save with safetensorsBytes(stateDict)',
  );
}

/** Browser stand-in: reading a checkpoint by path needs Node (use `loadSafetensors`). */
export function loadStateDictFile(file: string): StateDict {
  return needsNode('loadStateDictFile', file);
}

/** Browser stand-in: reading a checkpoint by path needs Node (use `loadSafetensors`). */
export function readCheckpoint(file: string): CheckpointContents {
  return needsNode('readCheckpoint', file);
}

/** Browser stand-in: reading a file needs Node (use `loadSafetensors` or `parseSafetensors`). */
export function readSafetensors(file: string, _options?: ReadSafetensorsOptions): StateDict {
  return needsNode('readSafetensors', file);
}

/** Browser stand-in: writing a file needs Node (use `safetensorsBytes`). */
export function writeSafetensors(file: string, _tensors: StateDict, _metadata?: Record<string, string>): void {
  needsNode('writeSafetensors', file);
}

/** Browser stand-in: writing a file needs Node. */
export function writeFileAtomic(file: string, _chunks: Iterable<Uint8Array | string>): void {
  needsNode('writeFileAtomic', file);
}
