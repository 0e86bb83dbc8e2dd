import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '@deitjs/core';

/**
 * Appends one JSON line to a `.jsonl` file. The whole file is rewritten atomically (a temp file renamed over it),
 * so a crash leaves either the old lines or the old lines plus the new one, never a torn line.
 */
export function appendJsonLine(file: string, record: object): void {
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (text.length > 0 && !text.endsWith('\n')) text += '\n';
  writeFileAtomic(file, [text, `${JSON.stringify(record)}\n`]);
}

/** Reads every JSON line of a `.jsonl` file (an absent file has none). */
export function readJsonLines(file: string): unknown[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as unknown);
}

/** Rewrites a `.jsonl` file atomically keeping only the records `keep` accepts (used on resume to drop epochs that will be re-run). */
export function filterJsonLines(file: string, keep: (record: unknown) => boolean): void {
  if (!existsSync(file)) return;
  const kept = readJsonLines(file).filter(keep);
  writeFileAtomic(file, kept.map((r) => `${JSON.stringify(r)}\n`));
}
