import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '@deitjs/core';

/**
 * The `.onnx` file a path names: the file itself, or `onnx/model.onnx` inside an exported folder (the transformers.js
 * layout {@link exportTransformersJs} writes). A ConfigError on `option` names a path that is neither.
 */
export function onnxModelPath(path: string, option = 'model'): string {
  if (!existsSync(path)) throw new ConfigError(option, `${path} does not exist`);
  if (!statSync(path).isDirectory()) return path;
  const inside = join(path, 'onnx', 'model.onnx');
  if (!existsSync(inside)) throw new ConfigError(option, `${path} is a folder without onnx/model.onnx (not an exported model folder)`);
  return inside;
}
