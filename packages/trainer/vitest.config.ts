import { mergeConfig } from 'vitest/config';
import { packageProject } from '../../vitest.shared.ts';

// Test files share a worker (no per-file isolation): each file would otherwise pay the TF.js + wasm start-up
// again, which dominates this package's run time. Every file selects its backend and measures memory relative
// to its own start, so sharing the engine is safe.
export default mergeConfig(packageProject('@deitjs/trainer'), { test: { isolate: false } });
