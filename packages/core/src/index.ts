// The Node entry of @deitjs/core (the `node` export condition): the browser entry's exports, plus what reads and
// writes files or starts worker threads. Node-only code is exported from here only.
export * from './browser.js';
export { writeFileAtomic, tempPathFor } from './atomic.js';
export { workerScript } from './worker-script.js';
export {
  readSafetensorsHeader,
  readSafetensors,
  writeSafetensors,
} from './io/safetensors.js';
export {
  PickleGlobal,
  PickledObject,
  type PickleSource,
  BytesSource,
  FileSource,
  type UnpickleOptions,
  unpickle,
  pythonGlobal,
  defaultUnpickleBudget,
} from './io/pickle.js';
export { readPth } from './io/pth.js';
export { type WritePthOptions, torchStateDict, pthChunks, pthArchiveName, writePth } from './io/pth-writer.js';
export { type ZipWriterEntry, type ZipWriterOptions, zipChunks } from './io/zip-writer.js';
export {
  type CheckpointFormat,
  type CheckpointContents,
  isHostTensor,
  detectCheckpointFormat,
  stateDictOf,
  readCheckpoint,
  loadStateDictFile,
} from './io/state-dict-file.js';
