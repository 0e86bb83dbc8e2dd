import { defineProject } from 'vitest/config';

// Unlike the packages' projects (vitest.shared.ts), no aliases to the sources: Node's reference forward and the
// page both use the built packages, as a user's project would.
export default defineProject({
  test: {
    name: '@deitjs-test/browser',
    include: ['src/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
