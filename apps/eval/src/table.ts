import { escapeControl } from '@deitjs/core';

/**
 * Renders rows as a table with columns padded to their widest cell; `right` columns align right (numbers). Control
 * characters in cells (tensor names from a hostile file) are escaped first, so the columns stay aligned.
 */
export function formatTable(header: readonly string[], raw: readonly (readonly string[])[], right: readonly boolean[] = []): string {
  const rows = raw.map((r) => r.map(escapeControl));
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (c === cells.length - 1 && !right[c] ? cell : right[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ');
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** An integer with thousands separators (`108,884`), independent of the locale. */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
