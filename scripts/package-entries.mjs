// What a package.json publishes as entry points: shared by scripts/prepack.mjs (is the build there and fresh?) and
// scripts/pack-smoke.mjs (is every entry in the tarball, and does each subpath load?).

/** Every file named by `main`, `module`, `types` and `exports` (conditions at any depth), as `./path`; no patterns. */
export function entryFiles(manifest) {
  const out = new Set();
  const visit = (value) => {
    if (typeof value === 'string') {
      const path = value.startsWith('./') ? value : `./${value}`;
      if (!path.includes('*') && path !== './package.json') out.add(path);
    } else if (value && typeof value === 'object') {
      for (const inner of Object.values(value)) visit(inner);
    }
  };
  visit([manifest.main, manifest.module, manifest.types, manifest.exports].filter(Boolean));
  return [...out];
}

/** The subpaths of `exports` (`.`, `./test` …) with their targets, `./package.json` and patterns aside. */
export function exportSubpaths(manifest) {
  const { exports } = manifest;
  if (exports === undefined) return [{ subpath: '.', target: manifest.main ?? 'index.js' }];
  if (typeof exports === 'string' || !Object.keys(exports).every((key) => key.startsWith('.'))) {
    return [{ subpath: '.', target: exports }];
  }
  return Object.entries(exports)
    .filter(([subpath]) => subpath !== './package.json' && !subpath.includes('*'))
    .map(([subpath, target]) => ({ subpath, target }));
}

/** Whether a subpath's export conditions give Node's require() something: a `require` or `node` condition or a `.cjs` file. */
export function loadsWithRequire(target) {
  if (typeof target === 'string') return target.endsWith('.cjs');
  if (!target || typeof target !== 'object') return false;
  return Object.entries(target).some(([condition, value]) => condition === 'require' || (condition !== 'import' && condition !== 'browser' && loadsWithRequire(value)));
}
