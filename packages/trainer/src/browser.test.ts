import { describe, expect, it, vi } from 'vitest';
import { bundleForBrowser } from '../../../scripts/check-browser-bundles.mjs';
import * as browser from './browser.js';
import * as node from './index.js';

describe('browser entry', () => {
  it('bundles for the browser (esbuild, platform browser) with no Node built-in in its graph', async () => {
    const { inputs } = await bundleForBrowser('trainer');
    expect(inputs.some((f) => f.startsWith('packages/trainer/src/'))).toBe(true);
    expect(inputs.filter((f) => f.startsWith('node:'))).toEqual([]);
  });

  it("exports a subset of Node's entry, each the same binding", () => {
    expect(Object.keys(browser).length).toBeGreaterThan(0);
    for (const [name, value] of Object.entries(browser)) expect((node as Record<string, unknown>)[name], name).toBe(value);
  });

  it('has the Trainer, which without the file side (a browser bundle) refuses runDir and resume, naming the option', async () => {
    expect(browser.Trainer).toBe(node.Trainer);
    vi.resetModules(); // a fresh module graph, where trainer.ts (Node's file side) was never loaded
    const fresh = await import('./trainer-files.js');
    expect(() => fresh.openRunDirectory('runs/x')).toThrow(/^runDir: needs Node/);
    expect(() => fresh.trainerFiles('resume')).toThrow(/^resume: needs Node/);
    const none = fresh.openRunDirectory(undefined);
    expect(none.file('last')).toBeUndefined();
    expect(() => none.create()).not.toThrow();
  });
});
