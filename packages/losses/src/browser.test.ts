import { describe, expect, it } from 'vitest';
import { bundleForBrowser } from '../../../scripts/check-browser-bundles.mjs';

describe('browser entry', () => {
  it('bundles for the browser (esbuild, platform browser) with no Node built-in in its graph', async () => {
    const { inputs } = await bundleForBrowser('losses');
    expect(inputs.some((f) => f.startsWith('packages/losses/src/'))).toBe(true);
    expect(inputs.filter((f) => f.startsWith('node:'))).toEqual([]);
  });
});
