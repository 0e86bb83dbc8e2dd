// `prepack` of every publishable package (run by npm in the package's folder before `npm pack` / `npm publish`):
// puts the repository's LICENSE into the package, and refuses to pack a package whose build is missing or older
// than its sources, so nothing unbuilt or stale is published. It does not build: `npm run release` builds the whole
// workspace in dependency order first (a build per package here would race when changesets publishes in parallel).
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { entryFiles } from './package-entries.mjs';

const dir = process.cwd();
const root = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));

/** The newest modification time among the files under `folder` (tests aside: they are not built), with the file. */
function newest(folder) {
  let best = { time: 0, file: '' };
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || entry.name.includes('.test.')) continue;
    const file = join(entry.parentPath, entry.name);
    const time = statSync(file).mtimeMs;
    if (time > best.time) best = { time, file };
  }
  return best;
}

function fail(message) {
  console.error(`prepack ${pkg.name}: ${message}`);
  process.exit(1);
}

const entries = entryFiles(pkg);
const missing = entries.filter((file) => !existsSync(join(dir, file)));
if (missing.length > 0) fail(`not built (missing ${missing.join(', ')}): run \`npm run build\` at the repository root`);
const built = Math.min(...entries.map((file) => statSync(join(dir, file)).mtimeMs));
if (existsSync(join(dir, 'src'))) {
  const source = newest(join(dir, 'src'));
  if (source.time > built) fail(`the build is older than ${relative(dir, source.file)}: run \`npm run build\` at the repository root`);
}
copyFileSync(join(root, 'LICENSE'), join(dir, 'LICENSE'));
