export { tf } from './tf.js';
export { DeitError, CheckpointError, StateDictMismatchError, ConfigError, ShapeError } from './errors.js';
export { type QuoteOptions, quote, escapeControl, truncateText } from './quote.js';
export { Rng, type RngState } from './rng.js';
export {
  type FileDType,
  type HostArray,
  type HostTensor,
  type StateDict,
  DTYPE_BYTES,
  ARRAY_OF_DTYPE,
  numel,
  halfToFloat,
  toFloat32,
  f32,
} from './tensor-data.js';
export {
  type Layout,
  permute,
  linearToTf,
  convOihwToHwio,
  convHwioToOihw,
  nchwToNhwc,
  nhwcToNchw,
  tfShapeOf,
  fromTorchLayout,
  toTorchLayout,
} from './layout.js';
export { Module, type ParamInfo, type LoadReport, type LoadOptions, torchShapeOf } from './module.js';
export {
  type ApplyOptions,
  type DistilledLogits,
  type Trainable,
  type Classifier,
  type Normalization,
  IMAGENET_NORMALIZATION,
  DATA_SET_KINDS,
  type DataSetKind,
  type Teacher,
  type Batch,
  type BatchSource,
  type LossFn,
} from './interfaces.js';
export { writeFileAtomic, tempPathFor } from './atomic.js';
export { workerScript } from './worker-script.js';
export { maxAbsDiff, relL2Error } from './compare.js';
export { roundHalfEven } from './py-math.js';
export {
  type BackendChoice,
  type BackendAttempt,
  type BackendReport,
  parseBackendChoice,
  initBackend,
  describeBackend,
} from './backend.js';
export {
  type SafetensorsEntry,
  type SafetensorsHeader,
  type ReadSafetensorsOptions,
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
export { PyTuple, PyFloat, PyGlobal, PyReduce, PyNewObj, PyOrderedDict, PyPersistentId } from './io/python-values.js';
export { type PickleDumpOptions, pickleDumps } from './io/pickle-writer.js';
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
export { type WasmKernelOptions, registerWasmKernels, restoreWasmKernels, wasmKernelsActive, wasmKernelThreads } from './kernels/register.js';
