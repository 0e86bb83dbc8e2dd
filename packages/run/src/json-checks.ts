// Type guards of the run.json validators (not exported from the package).

/** A parsed JSON object. */
export type Json = Record<string, unknown>;

/** A non-empty string. */
export const isString = (v: unknown): v is string => typeof v === 'string' && v !== '';
/** true or false. */
export const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
/** An integer > 0. */
export const isPositiveInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;
/** An integer ≥ 0. */
export const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
/** A JSON object (not an array, not null). */
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Three finite numbers (all > 0 when `positive`). */
export const isTriple = (positive: boolean) => (v: unknown): v is [number, number, number] =>
  Array.isArray(v) && v.length === 3 && v.every((x) => Number.isFinite(x) && (!positive || (x as number) > 0));
/** One of the given strings. */
export const oneOf = <T extends string>(choices: readonly T[]) => (v: unknown): v is T => (choices as readonly unknown[]).includes(v);
