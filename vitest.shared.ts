// Shared vitest settings: tests run against the TypeScript sources of every workspace package,
// so `npm test` needs no build and a change in one package is seen by its dependents at once.
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineProject, type UserWorkspaceConfig } from 'vitest/config';

const root = dirname(fileURLToPath(import.meta.url));

/** `@deitjs/<name>` → `packages/<name>/src/index.ts` for every package in the repo. */
export function sourceAliases(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(root, 'packages'))) {
    out[`@deitjs/${name}`] = resolve(root, 'packages', name, 'src', 'index.ts');
  }
  return out;
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
