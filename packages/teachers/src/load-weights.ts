import { CheckpointError, type StateDict, loadStateDictFile } from '@deitjs/core';
import { toTimmNames } from './checkpoint-names.js';
import type { ConvNet } from './convnet.js';

/** Options of {@link loadConvNetWeights}. */
export interface LoadConvNetWeightsOptions {
  /** Where warnings go (default `console.warn`). */
  warn?: (message: string) => void;
  /** Name of the source in messages (default the file name, or `state dict`). */
  source?: string;
}

/** What {@link loadConvNetWeights} did. */
export interface LoadConvNetWeightsResult {
  /** Whether the checkpoint used torchvision RegNet names (renamed to timm's). */
  renamed: boolean;
  /** Whether the classifier was left freshly initialised because its class count differs (as `loadWeights` of `@deitjs/models`). */
  reinitialisedClassifier: boolean;
}

/** The number of classes of a ResNet/RegNet checkpoint (rows of `fc.weight` or `head.fc.weight`), if it has a classifier. */
export function checkpointNumClasses(sd: StateDict): number | undefined {
  const w = toTimmNames(sd);
  const fc = w.get('fc.weight') ?? w.get('head.fc.weight');
  return fc?.shape.length === 2 ? fc.shape[0] : undefined;
}

/** Reads a `.safetensors` or `.pth` (zip or legacy; bare, `{model}` or `{state_dict}`) checkpoint. */
export function readConvNetCheckpoint(file: string): StateDict {
  return loadStateDictFile(file);
}

/**
 * Loads timm or torchvision weights (file or state dict) into a ResNet/RegNet. Names are brought to timm's
 * (torchvision RegNet renamed, `module.` stripped); BatchNorm `num_batches_tracked` is ignored. A classifier
 * with another class count is skipped with a warning and stays freshly initialised (timm's behaviour when
 * `num_classes` differs); anything else that does not fit throws a StateDictMismatchError naming the keys.
 */
export function loadConvNetWeights(model: ConvNet, weights: string | StateDict, options: LoadConvNetWeightsOptions = {}): LoadConvNetWeightsResult {
  const source = options.source ?? (typeof weights === 'string' ? weights : 'state dict');
  const raw = typeof weights === 'string' ? readConvNetCheckpoint(weights) : weights;
  if (raw.size === 0) throw new CheckpointError(source, 'holds no tensors');
  const sd = toTimmNames(raw);
  const renamed = [...raw.keys()].some((k) => !sd.has(k));
  const prefix = model.classifierPrefix;
  const fileClasses = checkpointNumClasses(sd);
  const reinitialisedClassifier = fileClasses !== undefined && fileClasses !== model.numClasses;
  if (reinitialisedClassifier) {
    (options.warn ?? console.warn)(
      `${source}: the checkpoint classifies ${fileClasses} classes, the model ${model.numClasses}; ${prefix}weight/bias are re-initialised`,
    );
    for (const k of [...sd.keys()]) if (k.startsWith(prefix)) sd.delete(k);
  }
  model.loadStateDict(sd, { source, allowMissing: reinitialisedClassifier ? (k) => k.startsWith(prefix) : undefined });
  return { renamed, reinitialisedClassifier };
}
