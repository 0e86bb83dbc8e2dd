// The Node entry of @deitjs/teachers: the browser entry's exports, plus what reads files (model.json paths, the
// file:// IO handler, the teacher-output cache). Node-only code is exported from here only (ARCHITECTURE.md).
export * from './browser.js';
export { type TfjsModelLike, type TfjsTeacherOptions, teacherFromTfjsModel, loadTfjsModel, readTfjsModelArtifacts } from './tfjs-model-teacher.js';
// Node only (file system): keep out of a browser entry.
export { FILE_SCHEME, MODEL_JSON, WEIGHTS_BIN, nodeFileIo, registerNodeFileIo } from './node/file-io.js';
export {
  type FixedViewDataset,
  type TeacherCacheOptions,
  type TeacherCacheResult,
  TEACHER_CACHE_FORMAT,
  TeacherOutputCache,
  datasetFingerprint,
  buildTeacherCache,
  loadOrBuildTeacherCache,
} from './teacher-cache.js';
