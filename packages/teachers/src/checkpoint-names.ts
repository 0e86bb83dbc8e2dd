import type { StateDict } from '@deitjs/core';

/** Which naming a CNN state dict uses: timm's (also torchvision's for ResNet) or torchvision's RegNet names. */
export type CheckpointNaming = 'timm' | 'torchvision-regnet';

/** Detects the naming from the keys, as timm's `regnet._filter_fn` does (torchvision RegNets have `stem.0.weight`). */
export function detectNaming(keys: Iterable<string>): CheckpointNaming {
  for (const k of keys) if (k === 'stem.0.weight' || k.startsWith('trunk_output.')) return 'torchvision-regnet';
  return 'timm';
}

const TV_BLOCK = /^trunk_output\.block(\d+)\.block\d+-(\d+)\.(.*)$/;
const TV_BLOCK_PARTS: ReadonlyArray<[RegExp, string]> = [
  [/^f\.a\.0\./, 'conv1.conv.'],
  [/^f\.a\.1\./, 'conv1.bn.'],
  [/^f\.b\.0\./, 'conv2.conv.'],
  [/^f\.b\.1\./, 'conv2.bn.'],
  [/^f\.se\./, 'se.'],
  [/^f\.c\.0\./, 'conv3.conv.'],
  [/^f\.c\.1\./, 'conv3.bn.'],
  [/^proj\.0\./, 'downsample.conv.'],
  [/^proj\.1\./, 'downsample.bn.'],
];

/**
 * The timm name of a torchvision RegNet key (spec §5.2): `trunk_output.block{S}.block{S}-{J}.f.a.0.weight` →
 * `s{S}.b{J+1}.conv1.conv.weight`, `stem.0` → `stem.conv`, `fc` → `head.fc`. Unknown keys come back unchanged
 * (the model load then reports them as unexpected).
 */
export function torchvisionRegNetKeyToTimm(key: string): string {
  if (key.startsWith('stem.0.')) return `stem.conv.${key.slice(7)}`;
  if (key.startsWith('stem.1.')) return `stem.bn.${key.slice(7)}`;
  if (key.startsWith('fc.')) return `head.${key}`;
  const m = TV_BLOCK.exec(key);
  if (!m) return key;
  const [, stage, block, rest] = m as unknown as [string, string, string, string];
  for (const [re, to] of TV_BLOCK_PARTS) if (re.test(rest)) return `s${stage}.b${Number(block) + 1}.${rest.replace(re, to)}`;
  return key;
}

/**
 * Brings a ResNet/RegNet state dict to timm names: strips a DataParallel `module.` prefix and renames
 * torchvision RegNet keys. timm and torchvision ResNets already share their names.
 */
export function toTimmNames(sd: StateDict): StateDict {
  const stripped: StateDict = new Map();
  const allPrefixed = sd.size > 0 && [...sd.keys()].every((k) => k.startsWith('module.'));
  for (const [k, v] of sd) stripped.set(allPrefixed ? k.slice('module.'.length) : k, v);
  if (detectNaming(stripped.keys()) === 'timm') return stripped;
  const out: StateDict = new Map();
  for (const [k, v] of stripped) out.set(torchvisionRegNetKeyToTimm(k), v);
  return out;
}
