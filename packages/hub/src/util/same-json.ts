/**
 * Whether two JSON values are equal: the same numbers, strings, booleans and nulls, arrays of equal values in the
 * same order, objects with the same keys and equal values (key order ignored). Conservative outside JSON: anything
 * else (undefined, functions, class instances with other prototypes) is equal only to itself.
 */
export const sameJson = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const pa = Object.getPrototypeOf(a) as unknown;
  const pb = Object.getPrototypeOf(b) as unknown;
  if ((pa !== Object.prototype && pa !== null) || (pb !== Object.prototype && pb !== null)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  const ob = b as Record<string, unknown>;
  const oa = a as Record<string, unknown>;
  for (const k of ka) {
    if (!Object.hasOwn(ob, k) || !sameJson(oa[k], ob[k])) return false;
  }
  return true;
};
