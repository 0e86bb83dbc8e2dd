import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appendJsonLine, filterJsonLines, readJsonLines } from './metrics-log.js';

const dir = mkdtempSync(join(tmpdir(), 'deit-run-metrics-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('metrics.jsonl', () => {
  it('appends one JSON object per line, atomically (no temp files left)', () => {
    const f = join(dir, 'metrics.jsonl');
    appendJsonLine(f, { epoch: 0, loss: 1.5 });
    appendJsonLine(f, { epoch: 1, loss: 1.25 });
    expect(readFileSync(f, 'utf8')).toBe('{"epoch":0,"loss":1.5}\n{"epoch":1,"loss":1.25}\n');
    expect(readdirSync(dir)).toEqual(['metrics.jsonl']);
  });

  it('repairs a missing final newline and filters records', () => {
    const f = join(dir, 'torn.jsonl');
    writeFileSync(f, '{"epoch":0}\n{"epoch":1}');
    appendJsonLine(f, { epoch: 2 });
    expect(readJsonLines(f)).toEqual([{ epoch: 0 }, { epoch: 1 }, { epoch: 2 }]);
    filterJsonLines(f, (r) => (r as { epoch: number }).epoch < 1);
    expect(readFileSync(f, 'utf8')).toBe('{"epoch":0}\n');
    expect(readJsonLines(join(dir, 'absent.jsonl'))).toEqual([]);
  });
});
