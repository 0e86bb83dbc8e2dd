import { mergeConfig } from 'vitest/config';
import { packageProject } from '../../vitest.shared.ts';

// The test files share one fork: each would otherwise import TensorFlow.js (via @deitjs/core) on its own,
// which is most of this suite's run time. No test here depends on module state left by another file.
export default mergeConfig(packageProject('@deitjs/data'), { test: { isolate: false } });
