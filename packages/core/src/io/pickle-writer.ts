import { DeitError } from '../errors.js';
import { quote } from '../quote.js';
import { longBytes, Out } from './pickle-bytes.js';
import { PyFloat, PyGlobal, PyNewObj, PyOrderedDict, PyPersistentId, PyReduce, PyTuple } from './python-values.js';

/** Options of {@link pickleDumps}. */
export interface PickleDumpOptions {
  /**
   * Turns a value the writer does not know (e.g. a tensor) into one it does (a {@link PyReduce}); undefined
   * leaves the value as it is. Called once per object; the result is memoised under the original object.
   */
  replace?: (value: object) => unknown;
}

// Opcodes of pickle protocol 2 (Lib/pickle.py).
const OP = {
  PROTO: 0x80,
  STOP: 0x2e,
  NONE: 0x4e,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  BININT: 0x4a,
  BININT1: 0x4b,
  BININT2: 0x4d,
  LONG1: 0x8a,
  LONG4: 0x8b,
  BINFLOAT: 0x47,
  BINUNICODE: 0x58,
  EMPTY_TUPLE: 0x29,
  TUPLE: 0x74,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  EMPTY_LIST: 0x5d,
  APPEND: 0x61,
  APPENDS: 0x65,
  EMPTY_DICT: 0x7d,
  SETITEM: 0x73,
  SETITEMS: 0x75,
  MARK: 0x28,
  GLOBAL: 0x63,
  REDUCE: 0x52,
  NEWOBJ: 0x81,
  BUILD: 0x62,
  BINPUT: 0x71,
  LONG_BINPUT: 0x72,
  BINGET: 0x68,
  LONG_BINGET: 0x6a,
  BINPERSID: 0x51,
} as const;

/** CPython's `_pickle.c` BATCHSIZE: items per APPENDS / SETITEMS. */
const BATCH = 1000;

const encoder = new TextEncoder();

/**
 * Serialises a value with pickle protocol 2, opcode for opcode as CPython's C pickler writes it (memo puts after
 * every string, tuple, list, dict, global and reduced object; APPENDS/SETITEMS in batches of 1000; the
 * one-item and empty special cases). Values: null/undefined → None, boolean, number (integral → int, else float),
 * bigint → int, string, Array → list, Map or plain object → dict, and the `Py*` classes of this module. Objects
 * are memoised by identity and strings by value, as if equal strings were one Python object (true of the
 * interned names torch and argparse write).
 */
export function pickleDumps(root: unknown, options: PickleDumpOptions = {}): Uint8Array {
  const out = new Out();
  const memo = new Map<unknown, number>();
  const fail = (what: string): never => {
    throw new DeitError('E_PICKLE', `cannot pickle ${what}`);
  };

  const put = (key: unknown): void => {
    const i = memo.size;
    memo.set(key, i);
    if (i < 256) {
      out.byte(OP.BINPUT);
      out.byte(i);
    } else {
      out.byte(OP.LONG_BINPUT);
      out.u32(i);
    }
  };
  const get = (key: unknown): boolean => {
    const i = memo.get(key);
    if (i === undefined) return false;
    if (i < 256) {
      out.byte(OP.BINGET);
      out.byte(i);
    } else {
      out.byte(OP.LONG_BINGET);
      out.u32(i);
    }
    return true;
  };
  // Strings share the memo with objects; a prefix keeps a string from colliding with an object key.
  const strKey = (s: string) => `s:${s}`;

  const int = (v: bigint): void => {
    if (v >= 0n && v <= 0xffn) {
      out.byte(OP.BININT1);
      out.byte(Number(v));
    } else if (v >= 0n && v <= 0xffffn) {
      out.byte(OP.BININT2);
      out.u16(Number(v));
    } else if (v >= -0x80000000n && v <= 0x7fffffffn) {
      out.byte(OP.BININT);
      out.u32(Number(BigInt.asUintN(32, v)));
    } else {
      const b = longBytes(v);
      if (b.length < 256) {
        out.byte(OP.LONG1);
        out.byte(b.length);
      } else {
        out.byte(OP.LONG4);
        out.u32(b.length);
      }
      out.bytes(b);
    }
  };
  const float = (v: number): void => {
    out.byte(OP.BINFLOAT);
    out.f64be(v);
  };
  const str = (s: string): void => {
    if (get(strKey(s))) return;
    const b = encoder.encode(s);
    out.byte(OP.BINUNICODE);
    out.u32(b.length);
    out.bytes(b);
    put(strKey(s));
  };
  const global = (g: PyGlobal): void => {
    const key = `g:${g.module}\n${g.name}`;
    if (get(key)) return;
    if (/[\n]/.test(g.module + g.name)) fail(`a global with a newline in its name ${quote(`${g.module}.${g.name}`)}`);
    out.byte(OP.GLOBAL);
    out.bytes(encoder.encode(`${g.module}\n${g.name}\n`));
    put(key);
  };
  const tuple = (t: PyTuple): void => {
    const n = t.items.length;
    if (n === 0) {
      out.byte(OP.EMPTY_TUPLE);
      return;
    }
    if (n > 3) out.byte(OP.MARK);
    for (const x of t.items) save(x);
    out.byte(n === 1 ? OP.TUPLE1 : n === 2 ? OP.TUPLE2 : n === 3 ? OP.TUPLE3 : OP.TUPLE);
    put(t);
  };
  const list = (items: readonly unknown[]): void => {
    out.byte(OP.EMPTY_LIST);
    put(items);
    if (items.length === 1) {
      save(items[0]);
      out.byte(OP.APPEND);
      return;
    }
    // batch_list_exact: full batches, no trailing empty one.
    for (let i = 0; i < items.length; ) {
      out.byte(OP.MARK);
      const end = Math.min(items.length, i + BATCH);
      for (; i < end; i++) save(items[i]);
      out.byte(OP.APPENDS);
    }
  };
  // batch_dict_exact (a plain dict): one item → SETITEM; else MARK…SETITEMS batches, followed by an empty batch
  // when the size is a multiple of 1000 (CPython re-enters its loop after a full batch).
  const dictItems = (entries: readonly [unknown, unknown][]): void => {
    if (entries.length === 1) {
      save(entries[0]![0]);
      save(entries[0]![1]);
      out.byte(OP.SETITEM);
      return;
    }
    let i = 0;
    let inBatch: number;
    do {
      out.byte(OP.MARK);
      inBatch = 0;
      for (; i < entries.length && inBatch < BATCH; i++, inBatch++) {
        save(entries[i]![0]);
        save(entries[i]![1]);
      }
      out.byte(OP.SETITEMS);
    } while (inBatch === BATCH);
  };
  // batch_dict (items of a reduced object, e.g. an OrderedDict): a lone trailing item is a SETITEM, no empty batch.
  const iteratedItems = (entries: readonly [unknown, unknown][]): void => {
    for (let i = 0; i < entries.length; ) {
      const end = Math.min(entries.length, i + BATCH);
      if (end - i === 1) {
        save(entries[i]![0]);
        save(entries[i]![1]);
        out.byte(OP.SETITEM);
        i++;
        continue;
      }
      out.byte(OP.MARK);
      for (; i < end; i++) {
        save(entries[i]![0]);
        save(entries[i]![1]);
      }
      out.byte(OP.SETITEMS);
    }
  };
  const dict = (key: object, entries: [unknown, unknown][]): void => {
    out.byte(OP.EMPTY_DICT);
    put(key);
    if (entries.length > 0) dictItems(entries);
  };
  const build = (state: unknown): void => {
    if (state === undefined || state === null) return;
    save(state);
    out.byte(OP.BUILD);
  };

  // Each branch writes one value; `save` reports nothing (its callers only sequence writes).
  function save(v: unknown): void {
    if (v === null || v === undefined) out.byte(OP.NONE);
    else if (typeof v === 'boolean') out.byte(v ? OP.NEWTRUE : OP.NEWFALSE);
    else if (typeof v === 'bigint') int(v);
    else if (typeof v === 'number') number(v);
    else if (typeof v === 'string') str(v);
    else if (typeof v !== 'object') fail(`a ${typeof v}`);
    else if (v instanceof PyFloat) float(v.value);
    else if (v instanceof PyGlobal) global(v);
    else if (!get(v)) saveObject(v);
  }

  function number(v: number): void {
    if (!Number.isInteger(v) || Object.is(v, -0)) float(v);
    else if (!Number.isSafeInteger(v)) fail(`the integer ${v}: beyond 2^53 it is not exact; pass a bigint`);
    else int(BigInt(v));
  }

  // An object not yet in the memo.
  function saveObject(v: object): void {
    if (v instanceof PyTuple) tuple(v);
    else if (Array.isArray(v)) list(v);
    else if (v instanceof Map) dict(v, [...v]);
    else if (v instanceof PyPersistentId) {
      save(v.id);
      out.byte(OP.BINPERSID);
    } else if (v instanceof PyOrderedDict) {
      reduce(v, new PyGlobal('collections', 'OrderedDict'), new PyTuple([]), OP.REDUCE);
      iteratedItems([...v.entries]);
      build(v.attributes !== undefined && v.attributes.size > 0 ? v.attributes : undefined);
    } else if (v instanceof PyReduce) {
      reduce(v, v.callable, v.args, OP.REDUCE);
      build(v.state);
    } else if (v instanceof PyNewObj) {
      reduce(v, v.cls, v.args, OP.NEWOBJ);
      build(v.state);
    } else {
      const r = options.replace?.(v);
      if (r instanceof PyReduce) {
        reduce(v, r.callable, r.args, OP.REDUCE);
        build(r.state);
      } else if (r instanceof PyNewObj) {
        reduce(v, r.cls, r.args, OP.NEWOBJ);
        build(r.state);
      } else if (r !== undefined) fail(`the replacement of a ${v.constructor?.name ?? 'value'}: it must be a PyReduce or PyNewObj`);
      else if (Object.getPrototypeOf(v) === Object.prototype) dict(v, Object.entries(v));
      else fail(`a ${v.constructor?.name ?? 'value'} (${quote(v, { maxLength: 60 })})`);
    }
  }

  // save_reduce: callable, argument tuple, REDUCE/NEWOBJ, then the object is memoised under `key`.
  function reduce(key: object, callable: PyGlobal, args: PyTuple, op: number): void {
    save(callable);
    save(args);
    out.byte(op);
    put(key);
  }

  out.byte(OP.PROTO);
  out.byte(2);
  save(root);
  out.byte(OP.STOP);
  return out.result();
}
