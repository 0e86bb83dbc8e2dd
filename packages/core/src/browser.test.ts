import { describe, expect, it } from 'vitest';
import { bundleForBrowser } from '../../../scripts/check-browser-bundles.mjs';
import * as browser from './browser.js';
import { ConfigError } from './errors.js';
import * as node from './index.js';

describe('browser entry', () => {
  it('bundles for the browser (esbuild, platform browser) with no Node built-in in its graph', async () => {
    const { inputs } = await bundleForBrowser('core');
    expect(inputs.some((f) => f.startsWith('packages/core/src/'))).toBe(true);
    expect(inputs.filter((f) => f.startsWith('node:'))).toEqual([]);
  });

  it("offers the file functions by name but refuses a path, pointing to the browser's way; Node's entry has the real ones", () => {
    const inBrowser: Record<string, unknown> = { ...browser };
    const inNode: Record<string, unknown> = { ...node };
    for (const name of ['loadStateDictFile', 'readCheckpoint', 'readSafetensors', 'writeSafetensors', 'writeFileAtomic']) {
      const stub = inBrowser[name] as (file: string) => unknown;
      expect(inNode[name], name).not.toBe(stub);
      expect(() => stub('w.safetensors'), name).toThrow(ConfigError);
      expect(() => stub('w.safetensors'), name).toThrow(/only Node has.*loadSafetensors/);
    }
    // Everything else is the same binding in both entries.
    expect(node.loadSafetensors).toBe(browser.loadSafetensors);
    expect(node.tf).toBe(browser.tf);
  });
});
