/** Limits of {@link quote}. */
export interface QuoteOptions {
  /** Longest result, in characters (default 80); a longer rendering is cut with `…`. */
  maxLength?: number;
  /** Containers nested deeper than this show as `[…]` / `{…}` (default 2). */
  maxDepth?: number;
  /** Items shown per container (default 6). */
  maxItems?: number;
}

// C0 and C1 controls, DEL, the line/paragraph separators and the bidirectional overrides: characters that move
// the cursor, clear the screen, retitle the terminal (ESC, CSI) or reorder what a reader sees.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escapeChar = (c: string): string => {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/**
 * `text` with every control character (C0, DEL, C1, line separators, bidi overrides) written as a `\xNN` /
 * `\uNNNN` escape, so a hostile name cannot drive the terminal it is printed to.
 */
export function escapeControl(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** `text` cut to at most `max` characters (escapes included), with `…` and the original length when cut. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = `…(${text.length} chars)`;
  return text.slice(0, Math.max(0, max - note.length)) + note;
}

function quoteString(s: string, max: number): string {
  // Escape only a window of a huge string: the result is cut anyway.
  const head = s.length > max ? s.slice(0, max) : s;
  const body = escapeControl(head.replace(/[\\"]/g, (c) => `\\${c}`));
  if (s.length <= max && body.length + 2 <= max) return `"${body}"`;
  const note = `…(${s.length} chars)`;
  return `"${body.slice(0, Math.max(0, max - note.length - 2))}"${note}`;
}

function quoteBigint(v: bigint): string {
  // Decimal conversion of a huge integer is superlinear; hex gives the size in linear time.
  const hexDigits = (v < 0n ? -v : v).toString(16).length;
  return hexDigits <= 32 ? `${v}` : `<${v < 0n ? '-' : ''}integer of ${hexDigits * 4} bits>`;
}

function typeName(v: object): string {
  const ctor = (v as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === 'string' && ctor.name !== '' ? ctor.name : 'object';
}

/**
 * A short, printable rendering of any value for an error message: strings quoted and escaped, BigInts
 * exact or by size, arrays/Maps/Sets/objects to a bounded depth and item count (so cycles, 100k-deep
 * nesting and 10 MB strings all give a line of at most `maxLength` characters). Never throws.
 */
export function quote(value: unknown, options: QuoteOptions = {}): string {
  const maxLength = options.maxLength ?? 80;
  const maxDepth = options.maxDepth ?? 2;
  const maxItems = options.maxItems ?? 6;
  const open = new Set<unknown>();

  const render = (v: unknown, depth: number, budget: number): string => {
    if (budget <= 0) return '…';
    switch (typeof v) {
      case 'string':
        return quoteString(v, Math.max(8, budget));
      case 'bigint':
        return quoteBigint(v);
      case 'number':
      case 'boolean':
      case 'undefined':
        return String(v);
      case 'symbol':
        return 'symbol';
      case 'function':
        return 'function';
    }
    if (v === null) return 'null';
    const obj = v as object;
    if (open.has(obj)) return '<cycle>';
    if (ArrayBuffer.isView(obj)) return `${typeName(obj)}(${(obj as ArrayBufferView).byteLength} bytes)`;
    let items: Iterable<unknown>;
    let close: string;
    let start: string;
    let pairs = false;
    if (Array.isArray(obj)) {
      [start, close, items] = ['[', ']', obj];
    } else if (obj instanceof Map) {
      [start, close, items, pairs] = ['{', '}', obj, true];
    } else if (obj instanceof Set) {
      [start, close, items] = ['{', '}', obj];
    } else {
      const name = typeName(obj);
      if (name !== 'Object') return `<${name}>`;
      [start, close, items, pairs] = ['{', '}', objectEntries(obj, maxItems + 1), true];
    }
    if (depth >= maxDepth) return `${start}…${close}`;
    open.add(obj);
    const parts: string[] = [];
    let used = start.length + close.length;
    let count = 0;
    let more = false;
    for (const item of items) {
      if (count === maxItems || used >= budget) {
        more = true;
        break;
      }
      const text = pairs
        ? `${render((item as [unknown, unknown])[0], depth + 1, budget - used)}: ${render((item as [unknown, unknown])[1], depth + 1, budget - used)}`
        : render(item, depth + 1, budget - used);
      parts.push(text);
      used += text.length + 2;
      count++;
    }
    open.delete(obj);
    if (more) parts.push('…');
    return `${start}${parts.join(', ')}${close}`;
  };

  try {
    return truncateText(render(value, 0, maxLength), maxLength);
  } catch {
    return '<unprintable value>';
  }
}

/** At most `limit` own enumerable entries of a plain object, without listing all of its keys. */
function* objectEntries(obj: object, limit: number): Generator<[string, unknown]> {
  let n = 0;
  for (const key in obj) {
    if (!Object.hasOwn(obj, key)) continue;
    if (n++ === limit) return;
    yield [key, (obj as Record<string, unknown>)[key]];
  }
}
