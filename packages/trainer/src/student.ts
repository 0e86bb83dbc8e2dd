import type { Classifier, LoadOptions, LoadReport, ParamInfo, StateDict } from '@deitjs/core';

/**
 * What the trainer needs of a model: a core {@link Classifier} that also exposes its named state the way core's
 * `Module` does (every DeiT, teacher and test model built on `Module` qualifies).
 */
export interface Student extends Classifier {
  /** Every parameter and buffer by PyTorch name, with its layout. */
  namedParams(): Map<string, ParamInfo>;
  /** A host copy of every entry in PyTorch layout. */
  stateDict(): StateDict;
  /** Loads a PyTorch-layout state dict by name. */
  loadStateDict(sd: StateDict, options?: LoadOptions): LoadReport;
}
