// The browser entry of @deitjs/core (`dist/browser.js`, what every environment but Node imports): everything that
// needs no Node built-in. Node's entry (index.ts) re-exports all of it and adds the file-system parts. A file
// exported here must not import `node:*` (scripts/check-browser-bundles.mjs bundles this entry for the browser).
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
export { maxAbsDiff, relL2Error } from './compare.js';
export { roundHalfEven } from './py-math.js';
export {
  type BackendChoice,
  type BackendAttempt,
  type BackendReport,
  type InitBackendOptions,
  type WasmBinaryName,
  parseBackendChoice,
  initBackend,
  describeBackend,
} from './backend.js';
export { PyTuple, PyFloat, PyGlobal, PyReduce, PyNewObj, PyOrderedDict, PyPersistentId } from './io/python-values.js';
export { type WasmKernelOptions, registerWasmKernels, restoreWasmKernels, wasmKernelsActive, wasmKernelThreads } from './kernels/register.js';
export {
  type SafetensorsEntry,
  type SafetensorsHeader,
  type ReadSafetensorsOptions,
  METADATA_KEY as SAFETENSORS_METADATA_KEY,
} from './io/safetensors-format.js';
export {
  type ParseSafetensorsOptions,
  parseSafetensors,
  parseSafetensorsHeaderBytes,
  safetensorsBytes,
} from './io/safetensors-bytes.js';
export { type SafetensorsSource, type LoadSafetensorsOptions, loadSafetensors } from './io/load-safetensors.js';
export { type PickleDumpOptions, pickleDumps } from './io/pickle-writer.js';
export { type Sha256, createSha256 } from './sha256.js';
// Same-named stand-ins for Node's file functions (see io/node-file-stubs.ts); Node's entry exports the real ones.
export { loadStateDictFile, readCheckpoint, readSafetensors, writeSafetensors, writeFileAtomic } from './io/node-file-stubs.js';
