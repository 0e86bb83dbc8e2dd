/** Edit distance (insertions, deletions, substitutions) between two strings. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * Up to `limit` names close to `name`, nearest first: a typo (edit distance up to a third of the name, at least 2)
 * or a name that contains it (`resnet5` → `resnet50`, `deit_tiny` → `deit_tiny_patch16_224`).
 */
export function nearNames(name: string, names: readonly string[], limit = 3): string[] {
  const wanted = name.toLowerCase();
  const maxDistance = Math.max(2, Math.floor(wanted.length / 3));
  return names
    .map((n) => ({ n, d: editDistance(wanted, n), contains: wanted.length >= 3 && n.includes(wanted) }))
    .filter((c) => c.d <= maxDistance || c.contains)
    .sort((x, y) => x.d - y.d || x.n.localeCompare(y.n))
    .slice(0, limit)
    .map((c) => c.n);
}
