// Shared vitest settings: tests run against the TypeScript sources of every workspace package,
// so `npm test` needs no build and a change in one package is seen by its dependents at once.
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Alias } from 'vite';
import { defineProject, type UserWorkspaceConfig } from 'vitest/config';

const root = dirname(fileURLToPath(import.meta.url));

/**
 * `@deitjs/<name>` → `packages/<name>/src/index.ts` and `@deitjs/<name>/test` → `packages/<name>/src/test/index.ts`
 * for every package in the repo. Exact regex matches: a plain string alias is a prefix match in Vite, which would
 * send `@deitjs/core/test` to `.../src/index.ts/test`.
 */
export function sourceAliases(): Alias[] {
  return readdirSync(join(root, 'packages')).flatMap((name) => [
    { find: new RegExp(`^@deitjs/${name}/test$`), replacement: resolve(root, 'packages', name, 'src', 'test', 'index.ts') },
    { find: new RegExp(`^@deitjs/${name}$`), replacement: resolve(root, 'packages', name, 'src', 'index.ts') },
  ]);
}

/** The vitest project of one workspace package (called from its own vitest.config.ts). */
export function packageProject(name: string): UserWorkspaceConfig {
  return defineProject({
    resolve: { alias: sourceAliases() },
    test: {
      name,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      testTimeout: 120_000,
      hookTimeout: 120_000,
      pool: 'forks',
    },
  });
}
