// What the page and the test exchange (plain JSON values: Playwright copies them between the two).
import type { DeiTModelName } from '@deitjs/models';

/** What the test asks the page to run. */
export interface PageRequest {
  backend: 'wasm' | 'cpu';
  /** A registered DeiT of @deitjs/models. */
  model: DeiTModelName;
  /** Where the page fetches the model's safetensors weights. */
  weightsUrl: string;
  /** NHWC images, flattened. */
  images: number[];
  shape: [number, number, number, number];
}

/** What the page computed. */
export interface PageResult {
  /** The backend `initBackend` started. */
  backend: string;
  /** Why `initBackend` chose it (its attempt's reason): what runs the kernels. */
  reason: string;
  crossOriginIsolated: boolean;
  /** Eval logits (the mean of the two heads), flattened `[batch, classes]`. */
  logits: number[];
  cls: number[];
  dist: number[];
}

/** `window.deitForward` of the page. */
export type PageForward = (request: PageRequest) => Promise<PageResult>;
