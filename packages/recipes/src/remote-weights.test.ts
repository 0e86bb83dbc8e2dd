import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isRemoteWeights, progressPrinter, resolveWeightsArg } from './remote-weights.js';

describe('remote weights arguments', () => {
  it('tells files from downloadable weights, and leaves a file path alone', async () => {
    for (const s of ['pretrained', 'hf-hub:timm/resnet50.a1_in1k', 'https://download.pytorch.org/models/resnet50-0676ba61.pth', 'HTTP://x/y.pth']) expect(isRemoteWeights(s), s).toBe(true);
    for (const s of ['model.safetensors', './pretrained', 'runs/a/model.safetensors', 'hf-hub.pth']) expect(isRemoteWeights(s), s).toBe(false);
    expect(await resolveWeightsArg('resnet50', 'some/file.pth')).toBe('some/file.pth');
    expect(existsSync('some/file.pth')).toBe(false);
  });

  it('refuses an unreachable, uncached pretrained name offline without touching the network', async () => {
    await expect(resolveWeightsArg('resnet50', 'pretrained', { env: { HF_HOME: '/nonexistent-deitjs', HF_HUB_OFFLINE: '1' } })).rejects.toThrow(/timm\/resnet50\.a1_in1k@main model\.safetensors: not in the cache/);
  });

  it('prints progress at most once per interval, and always the last line', () => {
    const lines: string[] = [];
    let t = 0;
    const print = progressPrinter((l) => lines.push(l), 1000, () => t);
    const p = (loaded: number, total?: number) => ({ url: 'u', file: 'org/x model.safetensors', loaded, total });
    print(p(1_000_000, 4_000_000));
    t = 500;
    print(p(2_000_000, 4_000_000));
    t = 1200;
    print(p(3_000_000, 4_000_000));
    t = 1300;
    print(p(4_000_000, 4_000_000));
    print(p(5_000_000));
    expect(lines).toEqual([
      'downloading org/x model.safetensors: 1.0 / 4.0 MB (25%)',
      'downloading org/x model.safetensors: 3.0 / 4.0 MB (75%)',
      'downloading org/x model.safetensors: 4.0 / 4.0 MB (100%)',
    ]);
  });
});
