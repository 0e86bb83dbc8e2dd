// Changelog lines for `changeset version`: changesets' default generator, except that a dependency's own first
// release (from 0.0.0, the version of a never-published package) is not listed as an "Updated dependencies" change:
// in the first release every package is new, and its changelog holds just its "Initial release" entry.
const base = require('@changesets/cli/changelog').default;

/** The default dependency lines, over the dependencies that had a release before this one. */
async function getDependencyReleaseLine(changesets, dependenciesUpdated, options) {
  const updated = dependenciesUpdated.filter((dependency) => dependency.oldVersion !== '0.0.0');
  const ids = new Set(updated.flatMap((dependency) => dependency.changesets));
  return base.getDependencyReleaseLine(
    changesets.filter((changeset) => ids.has(changeset.id)),
    updated,
    options,
  );
}

module.exports = { getReleaseLine: base.getReleaseLine, getDependencyReleaseLine };
