import { ConfigError } from '@deitjs/core';
import { type HubSpec, parseHubSpec } from './names.js';

/**
 * Which pretrained weights to load: `true` (timm's default weights of the name: `timm/<name>.<tag>` on the Hub), a
 * timm tag (`'tv_in1k'` → `timm/<name>.tv_in1k`), `'hf-hub:<org/name>[@revision]'`, or an https URL of a
 * `.safetensors`/`.pth` file (torchvision's, deit's).
 */
export type Pretrained = true | string;

/** Where pretrained weights come from, resolved and checked (nothing fetched yet). */
export type PretrainedSource = ({ kind: 'hub' } & HubSpec & { files: string[] }) | { kind: 'url'; url: string };

/** timm's weight files in a Hub repository, in the order timm 0.9 tries them. */
export const HUB_WEIGHT_FILES = ['model.safetensors', 'pytorch_model.bin'] as const;

const TAG = /^[a-z0-9][a-z0-9_]{0,63}$/;

/** Resolves a {@link Pretrained} choice for a registered `name` whose default timm tag is `tag` (undefined: none). */
export function pretrainedSource(name: string, tag: string | undefined, pretrained: Pretrained, option = 'pretrained'): PretrainedSource {
  const files = [...HUB_WEIGHT_FILES];
  if (pretrained === true) {
    if (tag === undefined) {
      throw new ConfigError(option, `${name} has no published weights (deitjs's own size); give 'hf-hub:<org/name>', a URL or a file`);
    }
    return { kind: 'hub', repo: `timm/${name}.${tag}`, revision: 'main', files };
  }
  if (typeof pretrained !== 'string') throw new ConfigError(option, `expected true, a timm tag, 'hf-hub:<org/name>[@revision]' or an https URL, got ${String(pretrained)}`);
  if (pretrained.startsWith('hf-hub:')) return { kind: 'hub', ...parseHubSpec(pretrained, option), files };
  if (/^https?:\/\//i.test(pretrained)) return { kind: 'url', url: pretrained };
  if (TAG.test(pretrained)) return { kind: 'hub', repo: `timm/${name}.${pretrained}`, revision: 'main', files };
  throw new ConfigError(option, `expected true, a timm tag, 'hf-hub:<org/name>[@revision]' or an https URL, got ${JSON.stringify(pretrained.slice(0, 200))}`);
}
