import { readSync } from 'node:fs';
import { CheckpointError, DeitError } from '../errors.js';
import { quote } from '../quote.js';

/**
 * A Python global a pickle may name (`module.name`). `construct` is what REDUCE / NEWOBJ does with it; a global
 * without one (a storage type, say) can only be passed around as a value, and `tag` carries its meaning.
 */
export class PickleGlobal {
  constructor(
    /** `module.name` as written in the pickle. */
    readonly qualifiedName: string,
    /** Builds the value from the call's arguments; undefined for globals that are only values. */
    readonly construct?: (args: unknown[]) => unknown,
    /** Free data for the caller (e.g. the dtype of a storage type). */
    readonly tag?: unknown,
  ) {}
}

/**
 * An inert stand-in for an instance of an allowed but uninteresting class (e.g. `argparse.Namespace`):
 * nothing of the class runs, the constructor arguments and BUILD state are just kept.
 */
export class PickledObject {
  /** The state BUILD gave the object (for `Namespace`, a Map of its attributes). */
  state: unknown = undefined;
  constructor(
    /** `module.name` of the class. */
    readonly className: string,
    /** The arguments the pickle passed to the class. */
    readonly args: readonly unknown[],
  ) {}

  /** The object's attributes when its state is a dict (as for `argparse.Namespace`), else an empty Map. */
  get attributes(): Map<unknown, unknown> {
    return this.state instanceof Map ? this.state : new Map();
  }
}

/** Sequential byte input of the unpickler. */
export interface PickleSource {
  /** Absolute position of the next byte. */
  readonly position: number;
  /** How many bytes the pickle can span at most, when known: it sets the work the pickle may cause. */
  readonly size?: number;
  /** The bytes up to the next newline, which is consumed (protocol-0 opcodes take lines); else byte by byte. */
  readLine?(): Uint8Array;
  /** The next `n` bytes; throws a CheckpointError at the end of the input. */
  read(n: number): Uint8Array;
}

/** A pickle held in memory (e.g. the `data.pkl` entry of a zip checkpoint). */
export class BytesSource implements PickleSource {
  private pos = 0;
  constructor(
    private readonly file: string,
    private readonly bytes: Uint8Array,
  ) {}
  get position(): number {
    return this.pos;
  }
  get size(): number {
    return this.bytes.byteLength;
  }
  readLine(): Uint8Array {
    const nl = this.bytes.indexOf(0x0a, this.pos);
    if (nl < 0) throw new CheckpointError(this.file, `pickle is truncated at byte ${this.bytes.byteLength}`);
    const out = this.bytes.subarray(this.pos, nl);
    this.pos = nl + 1;
    return out;
  }
  read(n: number): Uint8Array {
    if (this.pos + n > this.bytes.byteLength) throw new CheckpointError(this.file, `pickle is truncated at byte ${this.bytes.byteLength}`);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

/** A pickle read from an open file through a small buffer, so a large file is never loaded whole. */
export class FileSource implements PickleSource {
  private buf = new Uint8Array(0);
  private bufStart = 0;
  private pos: number;
  private readonly start: number;
  constructor(
    private readonly file: string,
    private readonly fd: number,
    start: number,
    private readonly fileSize: number,
  ) {
    this.pos = start;
    this.start = start;
  }
  get position(): number {
    return this.pos;
  }
  get size(): number {
    return this.fileSize - this.start;
  }
  read(n: number): Uint8Array {
    const end = this.pos + n;
    // Checked before allocating, so a corrupt length cannot ask for gigabytes.
    if (end > this.fileSize) throw new CheckpointError(this.file, `pickle is truncated: ${n} bytes wanted at byte ${this.pos} of ${this.fileSize}`);
    if (this.pos < this.bufStart || end > this.bufStart + this.buf.byteLength) {
      const chunk = new Uint8Array(Math.min(Math.max(n, 1 << 16), this.fileSize - this.pos));
      let got = 0;
      // In pieces: readSync takes int32 lengths, and a pickle may hold a string of more than 2 GiB.
      for (let k = -1; k !== 0 && got < chunk.byteLength; got += k) k = readSync(this.fd, chunk, got, Math.min(1 << 30, chunk.byteLength - got), this.pos + got);
      this.buf = chunk.subarray(0, got);
      this.bufStart = this.pos;
      if (got < n) throw new CheckpointError(this.file, `pickle is truncated at byte ${this.pos + got}`);
    }
    const out = this.buf.subarray(this.pos - this.bufStart, end - this.bufStart);
    this.pos = end;
    return out;
  }
  readLine(): Uint8Array {
    const parts: Uint8Array[] = [];
    let length = 0;
    for (;;) {
      if (this.pos >= this.bufStart + this.buf.byteLength || this.pos < this.bufStart) this.fill();
      const from = this.pos - this.bufStart;
      const nl = this.buf.indexOf(0x0a, from);
      const part = this.buf.subarray(from, nl < 0 ? this.buf.byteLength : nl);
      parts.push(part);
      length += part.byteLength;
      this.pos += part.byteLength;
      if (nl >= 0) {
        this.pos++;
        if (parts.length === 1) return part;
        const out = new Uint8Array(length);
        for (let i = 0, at = 0; i < parts.length; at += parts[i]!.byteLength, i++) out.set(parts[i]!, at);
        return out;
      }
    }
  }
  /** Reads the next chunk at the position into the buffer; at the end of the file, the pickle is truncated. */
  private fill(): void {
    if (this.pos >= this.fileSize) throw new CheckpointError(this.file, `pickle is truncated at byte ${this.fileSize}`);
    const chunk = new Uint8Array(Math.min(1 << 16, this.fileSize - this.pos));
    const got = readSync(this.fd, chunk, 0, chunk.byteLength, this.pos);
    if (got === 0) throw new CheckpointError(this.file, `pickle is truncated at byte ${this.pos}`);
    this.buf = chunk.subarray(0, got);
    this.bufStart = this.pos;
  }
}

/** Options of {@link unpickle}. */
export interface UnpickleOptions {
  /** The file being read, for error messages. */
  file: string;
  /** The allow-list: the global for `module.name`, or undefined to refuse it. */
  findGlobal: (module: string, name: string) => PickleGlobal | undefined;
  /** Resolves a persistent id (torch uses them for tensor storages); without it they are refused. */
  persistentLoad?: (pid: unknown) => unknown;
  /**
   * Most items and bytes the pickle's calls may copy or produce in all (each call is charged the sizes of its
   * arguments); default {@link defaultUnpickleBudget} of the source's size. Bounds "billion laughs" pickles.
   */
  budget?: number;
}

/** Calls may copy or produce this many items/bytes per byte of pickle… */
const BUDGET_PER_BYTE = 16;
/** …plus this many, whatever the size. */
const BUDGET_FLOOR = 1 << 20;

/**
 * The work a pickle of `size` bytes may cause through its calls: 16 items or bytes per input byte plus 1 Mi.
 * Plain opcodes cost at most one item per byte already; only calls (list(x), OrderedDict(x), `_codecs.encode`…)
 * can copy a memoised value again and again, and this is what bounds them.
 */
export function defaultUnpickleBudget(size: number | undefined): number {
  return size === undefined ? BUDGET_FLOOR * BUDGET_PER_BYTE : BUDGET_FLOOR + BUDGET_PER_BYTE * size;
}

/** What a call's argument costs: the number of items or bytes a constructor may copy from it. */
function shallowSize(v: unknown): number {
  if (typeof v === 'string') return v.length;
  if (Array.isArray(v)) return v.length;
  if (v instanceof Map || v instanceof Set) return v.size;
  if (ArrayBuffer.isView(v)) return v.byteLength;
  return 1;
}

const utf8 = new TextDecoder('utf-8');
const latin1 = new TextDecoder('latin1');

// CPython refuses to convert decimal text of more digits than this to an int (sys.int_info.default_max_str_digits),
// and so does its unpickler for the protocol-0 INT and LONG opcodes; decimal parsing is superlinear beyond it.
const MAX_DECIMAL_DIGITS = 4300;

function toNumberIfSafe(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Little-endian two's-complement integer of any width (LONG1 / LONG4), in time linear in its length. */
function decodeLong(bytes: Uint8Array): number | bigint {
  const n = bytes.byteLength;
  if (n === 0) return 0;
  // Shifting a growing BigInt byte by byte is quadratic; one hex string parsed at once is linear.
  const digits = new Array<string>(n);
  for (let i = 0; i < n; i++) digits[i] = HEX[bytes[n - 1 - i]!]!;
  let v = BigInt(`0x${digits.join('')}`);
  if (bytes[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
  return toNumberIfSafe(v);
}

/** Unescapes the body of a protocol-0 STRING literal (Python repr of a str). */
function unquote(file: string, text: string): string {
  const q = text[0];
  if ((q !== "'" && q !== '"') || text[text.length - 1] !== q) throw new CheckpointError(file, `malformed STRING literal ${quote(text)}`);
  return text.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    return ({ n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"' } as Record<string, string>)[e] ?? `\\${e}`;
  });
}

/**
 * Runs a pickle as a data-only opcode VM: it builds lists, tuples (as arrays), dicts (as Maps), sets, numbers,
 * strings and bytes, and calls nothing but the globals `findGlobal` allows; any other global raises a
 * CheckpointError naming it. Returns the pickled object; the source is left just after its STOP.
 */
export function unpickle(source: PickleSource, options: UnpickleOptions): unknown {
  const { file } = options;
  const fail = (msg: string, at?: string): never => {
    throw new CheckpointError(file, msg, at);
  };
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const budget = options.budget ?? defaultUnpickleBudget(source.size);
  let spent = 0;
  // Where the opcode being run starts, for messages.
  let at = source.position;

  const u8 = () => source.read(1)[0]!;
  const view = (n: number) => {
    const b = source.read(n);
    return new DataView(b.buffer, b.byteOffset, n);
  };
  const u16 = () => view(2).getUint16(0, true);
  const u32 = () => view(4).getUint32(0, true);
  const u64 = () => {
    const v = view(8).getBigUint64(0, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`pickle length ${v} is too large`);
    return Number(v);
  };
  const decimal = (s: string, what: string): number | bigint => {
    if (!/^[-+]?\d+$/.test(s)) return fail(`malformed ${what} ${quote(s)} at byte ${at}`);
    if (s.replace(/^[-+]/, '').length > MAX_DECIMAL_DIGITS) return fail(`${what} of ${s.length} digits at byte ${at} exceeds the ${MAX_DECIMAL_DIGITS}-digit limit (as CPython)`);
    return toNumberIfSafe(BigInt(s));
  };
  const readLine = (): string => {
    if (source.readLine !== undefined) return latin1.decode(source.readLine());
    const parts: number[] = [];
    for (;;) {
      const c = u8();
      if (c === 0x0a) return latin1.decode(new Uint8Array(parts));
      parts.push(c);
    }
  };
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1]!)) fail(`pickle stack underflow at byte ${at}`);
    return stack.pop();
  };
  const top = (): unknown => {
    // As in CPython, a MARK opens a new frame: the value below it is not reachable until the frame is closed.
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1]!)) fail(`pickle stack underflow at byte ${at}`);
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail(`pickle MARK missing at byte ${at}`);
    return stack.splice(m!);
  };
  const findGlobal = (module: string, name: string): PickleGlobal => {
    const g = options.findGlobal(module, name);
    if (g === undefined) {
      return fail(`pickle asks for the global ${module}.${name}, which is not allowed in a checkpoint (refusing to run it)`, `${module}.${name}`);
    }
    return g;
  };
  const call = (callee: unknown, args: unknown): unknown => {
    if (!(callee instanceof PickleGlobal)) return fail(`pickle calls a non-callable value at byte ${at}`);
    if (callee.construct === undefined) return fail(`pickle calls ${callee.qualifiedName}, which cannot be called`, callee.qualifiedName);
    if (!Array.isArray(args)) return fail(`pickle passes non-tuple arguments to ${callee.qualifiedName}`, callee.qualifiedName);
    spent += 1;
    for (const a of args) spent += shallowSize(a);
    if (spent > budget) {
      return fail(
        `pickle calls copy more than ${budget} items/bytes (${BUDGET_PER_BYTE} per pickle byte + ${BUDGET_FLOOR}): refusing a decompression bomb at byte ${at}`,
        callee.qualifiedName,
      );
    }
    try {
      return callee.construct(args);
    } catch (err) {
      if (err instanceof DeitError) throw err;
      return fail(`${callee.qualifiedName} refuses its arguments: ${(err as Error).message}`, callee.qualifiedName);
    }
  };
  const setItems = (target: unknown, items: unknown[]) => {
    if (!(target instanceof Map)) return fail(`pickle sets items on a non-dict at byte ${at}`);
    for (let i = 0; i + 1 < items.length; i += 2) target.set(items[i], items[i + 1]);
  };
  const appendItems = (target: unknown, items: unknown[]) => {
    if (!Array.isArray(target)) return fail(`pickle appends to a non-list at byte ${at}`);
    // One by one: spreading 300k items into push() would overflow the call stack.
    for (const item of items) target.push(item);
  };
  const persistent = (pid: unknown): unknown => {
    if (options.persistentLoad === undefined) return fail('pickle uses persistent ids, which this reader does not resolve');
    return options.persistentLoad!(pid);
  };

  for (;;) {
    at = source.position;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail(`pickle protocol above 5 at byte ${at}`);
        break;
      case 0x95: // FRAME: framing is only a read-ahead hint
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length !== 0) fail(`pickle stops with ${stack.length} values on the stack at byte ${at}`);
        return stack[0];
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP (of the mark itself when the current frame is empty, as CPython does)
        if (marks.length > 0 && stack.length === marks[marks.length - 1]) popMark();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x49: {
        // INT (protocol 0; "01"/"00" are True/False)
        const s = readLine();
        if (s === '01' || s === '00') stack.push(s === '01');
        else stack.push(decimal(s, 'INT'));
        break;
      }
      case 0x4a: // BININT
        stack.push(view(4).getInt32(0, true));
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4c: {
        // LONG (protocol 0)
        stack.push(decimal(readLine().replace(/L$/, ''), 'LONG'));
        break;
      }
      case 0x8a: // LONG1
        stack.push(decodeLong(source.read(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(decodeLong(source.read(u32())));
        break;
      case 0x46: // FLOAT
        stack.push(Number.parseFloat(readLine()));
        break;
      case 0x47: // BINFLOAT (big-endian)
        stack.push(view(8).getFloat64(0, false));
        break;
      case 0x53: // STRING
        stack.push(unquote(file, readLine()));
        break;
      case 0x54: // BINSTRING (a Python 2 str; read as latin-1 text)
        stack.push(latin1.decode(source.read(u32())));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1.decode(source.read(u8())));
        break;
      case 0x56: // UNICODE (raw-unicode-escape)
        stack.push(readLine().replace(/\\u([0-9a-fA-F]{4})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16))));
        break;
      case 0x58: // BINUNICODE
        stack.push(utf8.decode(source.read(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8.decode(source.read(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8.decode(source.read(u64())));
        break;
      case 0x42: // BINBYTES
        stack.push(source.read(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(source.read(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(source.read(u64()).slice());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: {
        // DICT
        const d = new Map();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) fail(`pickle adds items to a non-set at byte ${at}`);
        for (const i of items) (s as Set<unknown>).add(i);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(new Set(popMark()));
        break;
      case 0x63: {
        // GLOBAL
        const module = readLine();
        stack.push(findGlobal(module, readLine()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail(`STACK_GLOBAL with non-string names at byte ${at}`);
        stack.push(findGlobal(module as string, name as string));
        break;
      }
      case 0x69: {
        // INST
        const g = findGlobal(readLine(), readLine());
        stack.push(call(g, popMark()));
        break;
      }
      case 0x6f: {
        // OBJ
        const [cls, ...args] = popMark();
        stack.push(call(cls, args));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX: keyword arguments are not something any allowed class takes
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (kwargs instanceof Map && kwargs.size > 0) fail(`pickle passes keyword arguments at byte ${at}`);
        stack.push(call(cls, args));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const obj = top();
        if (obj instanceof PickledObject) obj.state = state;
        else if (obj instanceof Map) {
          // An OrderedDict's instance attributes (torch keeps the `_metadata` version table there): not data.
        } else fail(`pickle sets the state of an unsupported object at byte ${at}`);
        break;
      }
      case 0x70: // PUT
        memo.set(Number(readLine()), top());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x67: // GET
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const key = op === 0x67 ? Number(readLine()) : op === 0x68 ? u8() : u32();
        if (!memo.has(key)) fail(`pickle memo ${key} is undefined at byte ${at}`);
        stack.push(memo.get(key));
        break;
      }
      case 0x50: // PERSID
        stack.push(persistent(readLine()));
        break;
      case 0x51: // BINPERSID
        stack.push(persistent(pop()));
        break;
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at}`);
    }
  }
}

/** Builds an inert {@link PickledObject} for each call. */
function inert(qualifiedName: string): PickleGlobal {
  return new PickleGlobal(qualifiedName, (args) => new PickledObject(qualifiedName, args));
}

/**
 * Plain-Python globals a checkpoint may use that are pure data: OrderedDict, set/frozenset, bytes rebuilt by
 * `_codecs.encode`, and inert placeholders for option objects (argparse.Namespace, pathlib paths, numpy scalars).
 */
export function pythonGlobal(module: string, name: string): PickleGlobal | undefined {
  const q = `${module}.${name}`;
  switch (q) {
    case 'collections.OrderedDict':
    case 'builtins.dict':
    case '__builtin__.dict':
      return new PickleGlobal(q, (args) => {
        const items = args[0];
        if (items instanceof Map) return new Map(items);
        if (!Array.isArray(items)) return new Map();
        const out = new Map();
        for (const pair of items) {
          if (!Array.isArray(pair) || pair.length !== 2) throw new TypeError(`an item ${quote(pair)} is not a (key, value) pair`);
          out.set(pair[0], pair[1]);
        }
        return out;
      });
    case 'builtins.set':
    case '__builtin__.set':
    case 'builtins.frozenset':
    case '__builtin__.frozenset':
      return new PickleGlobal(q, (args) => new Set(Array.isArray(args[0]) ? args[0] : []));
    case 'builtins.list':
    case '__builtin__.list':
    case 'builtins.tuple':
    case '__builtin__.tuple':
      return new PickleGlobal(q, (args) => (Array.isArray(args[0]) ? [...args[0]] : []));
    case '_codecs.encode':
      // Protocol 2 pickles bytes as encode(text, 'latin1'): the text's code points are the bytes.
      return new PickleGlobal(q, (args) => {
        const text = args[0];
        // Only text: String() of a nested list would expand it (the "billion laughs" of a shared sublist).
        if (typeof text !== 'string') throw new TypeError(`encodes ${quote(text)}, not a string`);
        const out = new Uint8Array(text.length);
        for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
        return out;
      });
    case 'argparse.Namespace':
    case 'pathlib.PosixPath':
    case 'pathlib.WindowsPath':
    case 'pathlib.PurePosixPath':
    case 'pathlib.PureWindowsPath':
    case 'numpy.dtype':
    case 'numpy.core.multiarray.scalar':
    case 'numpy._core.multiarray.scalar':
      return inert(q);
    default:
      return undefined;
  }
}
