// Python values a pickle can hold that have no JS counterpart of their own: what pickleDumps is given.

/** A Python tuple (JS arrays are written as lists). */
export class PyTuple {
  constructor(
    /** The items. */
    readonly items: readonly unknown[],
  ) {}
}

/** A Python float whose value is integral (`0.0`, `1.0`): JS numbers that are integers are written as ints. */
export class PyFloat {
  constructor(
    /** The value. */
    readonly value: number,
  ) {}
}

/** A reference to a Python global (`module.name`), written with GLOBAL. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
}

/** `callable(*args)` written with REDUCE, then `state` (if any) with BUILD: how `__reduce_ex__(2)` results pickle. */
export class PyReduce {
  constructor(
    readonly callable: PyGlobal,
    readonly args: PyTuple,
    readonly state?: unknown,
  ) {}
}

/** `cls.__new__(cls, *args)` written with NEWOBJ, then `state` with BUILD: plain Python objects (`argparse.Namespace`). */
export class PyNewObj {
  constructor(
    readonly cls: PyGlobal,
    readonly args: PyTuple,
    readonly state?: unknown,
  ) {}
}

/** A `collections.OrderedDict`, optionally with instance attributes (torch keeps a state dict's `_metadata` there). */
export class PyOrderedDict {
  constructor(
    readonly entries: ReadonlyMap<unknown, unknown>,
    readonly attributes?: ReadonlyMap<string, unknown>,
  ) {}
}

/** A persistent id (`BINPERSID`): how torch refers to tensor storages kept outside the pickle. */
export class PyPersistentId {
  constructor(readonly id: unknown) {}
}
