import { defineConfig } from 'tsup';
import { browserEntry, mainEntry, workerEntry } from '../../tsup.shared.ts';

// The loader's worker needs only core's Rng, errors and constants (see workerEntry).
export default defineConfig([mainEntry(), browserEntry(), workerEntry('src/loader-worker.ts', { coreFromSource: true })]);
