import type { BackendStatus } from '../lib/backend.js';
import type { ClassifyPanel } from './classify-panel.js';
import type { DistillPanel } from './distill-panel.js';

/** What the page exposes to its end-to-end test (`window.deitWeb`): read-only views of its state. */
export interface TestHook {
  ready?: boolean;
  error?: string;
  backend?: BackendStatus;
  classify?: ClassifyPanel;
  distill?: DistillPanel;
}

/** The page's test hook object. */
export function hook(): TestHook {
  const w = window as unknown as { deitWeb?: TestHook };
  w.deitWeb ??= {};
  return w.deitWeb;
}
