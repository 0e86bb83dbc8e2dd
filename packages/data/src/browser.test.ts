import { describe, expect, it } from 'vitest';
import { bundleForBrowser } from '../../../scripts/check-browser-bundles.mjs';
import * as browser from './browser.js';
import * as node from './index.js';

describe('browser entry', () => {
  it('bundles for the browser (esbuild, platform browser) with no Node built-in in its graph', async () => {
    const { inputs } = await bundleForBrowser('data');
    expect(inputs.some((f) => f.startsWith('packages/data/src/'))).toBe(true);
    expect(inputs.filter((f) => f.startsWith('node:'))).toEqual([]);
  });

  it("exports a subset of Node's entry, each the same binding", () => {
    expect(Object.keys(browser).length).toBeGreaterThan(0);
    for (const [name, value] of Object.entries(browser)) expect((node as Record<string, unknown>)[name], name).toBe(value);
  });
});
