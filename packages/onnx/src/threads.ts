import { readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@deitjs/core';

/**
 * The physical cores this process can use: distinct (package, core) pairs in Linux's CPU topology, at most
 * `os.availableParallelism()` (which honours the affinity mask); `availableParallelism()` where the topology is not
 * readable. ONNX Runtime's own default (intra-op threads 0) counts cores itself and was measured at one thread on a
 * 2-core VM whose topology lists two cores, halving every session's speed; deitjs therefore passes the count.
 */
export function physicalCores(cpuRoot = '/sys/devices/system/cpu'): number {
  const usable = availableParallelism();
  let cores: Set<string>;
  try {
    cores = new Set();
    for (const entry of readdirSync(cpuRoot)) {
      if (!/^cpu\d+$/.test(entry)) continue;
      const topology = join(cpuRoot, entry, 'topology');
      const read = (file: string): string => readFileSync(join(topology, file), 'utf8').trim();
      cores.add(`${read('physical_package_id')}:${read('core_id')}`);
    }
  } catch {
    return usable;
  }
  return cores.size === 0 ? usable : Math.min(cores.size, usable);
}

/** Validates an intra-op thread count (`option` names it in the error); 0 or undefined means one per physical core. */
export function intraOpThreads(requested: number | undefined, option = 'intraOpThreads', cpuRoot?: string): number {
  const n = requested ?? 0;
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(option, `must be a non-negative integer, got ${n}`);
  return n > 0 ? n : physicalCores(cpuRoot);
}
