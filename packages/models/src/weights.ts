import {
  type LoadReport,
  Rng,
  type StateDict,
  writeSafetensors,
  loadStateDictFile,
} from '@deitjs/core';
import { resamplePosEmbed } from '@deitjs/tokens';
import { CLASSIFIER_KEYS, type DeiT } from './deit.js';

/** Options of {@link loadWeights}. */
export interface LoadWeightsOptions {
  /** Receives the notice when the classifier is re-initialised (default `console.warn`). */
  warn?: (message: string) => void;
  /** Draws the re-initialised classifier (default: a generator seeded with 0). */
  rng?: Rng;
  /** What to call an in-memory state dict in messages (default `state dict`). */
  source?: string;
}

/** What {@link loadWeights} did besides loading. */
export interface LoadWeightsResult extends LoadReport {
  /** Whether `pos_embed` was resampled to the model's grid (and from which grid). */
  resampledPosEmbed: [number, number] | undefined;
  /** Whether `head`/`head_dist` were re-initialised for another class count. */
  reinitialisedClassifier: boolean;
}

/**
 * Loads timm/deit weights (a .safetensors or .pth file, `{model: ...}` unwrapped, or a state dict) the way
 * timm's checkpoint filter and `load_pretrained` do: `pos_embed` of another grid is resampled (timm's bicubic
 * with antialias, prefix tokens kept); a classifier for another number of classes is dropped and re-initialised
 * with a warning; everything else must match exactly (core's `StateDictMismatchError` lists the bad keys).
 */
export function loadWeights(model: DeiT, weights: string | StateDict, options: LoadWeightsOptions = {}): LoadWeightsResult {
  const source = typeof weights === 'string' ? weights : (options.source ?? 'state dict');
  const sd: StateDict = new Map(typeof weights === 'string' ? loadStateDictFile(weights) : weights);
  let resampledPosEmbed: [number, number] | undefined;
  const pos = sd.get('pos_embed');
  const want = model.numPrefixTokens + model.patchEmbed.numPatches;
  if (pos !== undefined && pos.shape.length === 3 && pos.shape[1] !== want && pos.shape[2] === model.config.embedDim) {
    const grid = Math.round(Math.sqrt(pos.shape[1]! - model.numPrefixTokens));
    // Only a square grid with the model's prefix tokens can be resampled; anything else is reported as mis-shaped.
    if (grid > 0 && grid * grid === pos.shape[1]! - model.numPrefixTokens) {
      sd.set('pos_embed', resamplePosEmbed(pos, { from: grid, to: model.gridSize, prefixTokens: model.numPrefixTokens, mode: 'timm' }));
      resampledPosEmbed = [grid, grid];
    }
  }
  const fileClasses = sd.get('head.weight')?.shape[0];
  const reinitialisedClassifier = fileClasses !== undefined && fileClasses !== model.numClasses;
  if (reinitialisedClassifier) for (const k of CLASSIFIER_KEYS) sd.delete(k);
  const classifier = new Set<string>(CLASSIFIER_KEYS);
  // Strict loading checks every key before assigning any, so a bad file leaves the model as it was.
  const report = model.loadStateDict(sd, {
    source,
    allowMissing: reinitialisedClassifier ? (k) => classifier.has(k) : undefined,
  });
  if (reinitialisedClassifier) {
    model.resetClassifier(options.rng ?? new Rng(0));
    (options.warn ?? console.warn)(
      `${source}: the checkpoint classifies ${fileClasses} classes, the model ${model.numClasses}; head${model.distilled ? ' and head_dist' : ''} re-initialised`,
    );
  }
  return { ...report, resampledPosEmbed, reinitialisedClassifier };
}

/** Writes the model's weights as timm-compatible safetensors (PyTorch names and layouts, float32), atomically. */
export function saveWeights(model: DeiT, file: string, metadata: Record<string, string> = {}): void {
  writeSafetensors(file, model.stateDict(), { format: 'pt', ...metadata });
}
