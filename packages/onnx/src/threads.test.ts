import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@deitjs/core';
import { afterEach, describe, expect, it } from 'vitest';
import { INPUT_NAME, LOGITS } from './export-deit.js';
import { OrtClassifier } from './ort-classifier.js';
import { type OrtSessionOptionsLike, spinningOptions } from './ort-loader.js';
import { intraOpThreads, physicalCores } from './threads.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

/** A fake `/sys/devices/system/cpu` with one `cpuN/topology` per [package, core] pair. */
function topology(cpus: Array<[number, number]>): string {
  const root = mkdtempSync(join(tmpdir(), 'deit-cpu-'));
  roots.push(root);
  cpus.forEach(([pkg, core], i) => {
    const dir = join(root, `cpu${i}`, 'topology');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'physical_package_id'), `${pkg}\n`);
    writeFileSync(join(dir, 'core_id'), `${core}\n`);
  });
  mkdirSync(join(root, 'cpufreq'));
  return root;
}

describe('physicalCores', () => {
  const usable = availableParallelism();

  it('counts distinct (package, core) pairs: hyperthread siblings count once', () => {
    // Two logical CPUs on one core: one physical core.
    expect(physicalCores(topology([[0, 0], [0, 0]]))).toBe(1);
    // Same core id in two packages: two cores (capped by what this process may use).
    expect(physicalCores(topology([[0, 0], [1, 0]]))).toBe(Math.min(2, usable));
  });

  it('never exceeds the CPUs this process may use', () => {
    const many = Array.from({ length: usable + 3 }, (_, i): [number, number] => [0, i]);
    expect(physicalCores(topology(many))).toBe(usable);
  });

  it('falls back to availableParallelism when the topology is unreadable or empty', () => {
    expect(physicalCores(join(tmpdir(), 'deit-no-such-cpu-dir'))).toBe(usable);
    const broken = topology([[0, 0]]);
    rmSync(join(broken, 'cpu0', 'topology', 'core_id'));
    expect(physicalCores(broken)).toBe(usable);
  });
});

describe('intraOpThreads', () => {
  it('keeps an explicit count and resolves 0 or undefined to the physical cores', () => {
    expect(intraOpThreads(3)).toBe(3);
    const root = topology([[0, 0], [0, 0]]);
    expect(intraOpThreads(0, 'x', root)).toBe(1);
    expect(intraOpThreads(undefined, 'x', root)).toBe(1);
  });

  it('rejects negative and fractional counts, naming the option', () => {
    expect(() => intraOpThreads(-1, '--engine-threads')).toThrow(ConfigError);
    expect(() => intraOpThreads(1.5, '--engine-threads')).toThrow(/--engine-threads.*1\.5/);
  });
});

describe('session options deitjs passes to ONNX Runtime', () => {
  it('an OrtClassifier opens its session with one thread per physical core unless told otherwise', async () => {
    const seen: OrtSessionOptionsLike[] = [];
    const fake = {
      InferenceSession: {
        create: async (_model: string | Uint8Array, options?: OrtSessionOptionsLike) => {
          seen.push(options ?? {});
          return { inputNames: [INPUT_NAME], outputNames: [LOGITS], run: async () => ({}), release: async () => undefined };
        },
      },
      Tensor: class {},
    };
    const loader = { packageName: 'fake-ort', importer: async () => fake };
    await OrtClassifier.create(new Uint8Array(1), { loader });
    await OrtClassifier.create(new Uint8Array(1), { loader, intraOpThreads: 5 });
    expect(seen.map((o) => o.intraOpNumThreads)).toEqual([physicalCores(), 5]);
  });

  it('spinningOptions sets ONNX Runtime\'s allow_spinning entry only when asked', () => {
    expect(spinningOptions(undefined)).toEqual({});
    expect(spinningOptions(false)).toEqual({ extra: { session: { intra_op: { allow_spinning: '0' } } } });
    expect(spinningOptions(true)).toEqual({ extra: { session: { intra_op: { allow_spinning: '1' } } } });
  });
});
