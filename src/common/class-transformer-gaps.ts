/**
 * What class-transformer does not do safely with untrusted input, checked before it runs.
 *
 * - Keys it skips without a word: `__proto__` and `constructor` (its prototype-pollution guard),
 *   and every key under which the new instance already has a function or a getter, which means
 *   every name on `Object.prototype` (`toString`, `valueOf`, `hasOwnProperty`, ...). A
 *   `forbidNonWhitelisted` validation never sees them, so they would pass as if absent.
 * - Nesting: it recurses into every object and array it is given, without bound, so a deep
 *   enough value (a few thousand levels fit in a 4 KiB frame) overflows the stack.
 */
const SKIPPED_KEYS: readonly string[] = [...Object.getOwnPropertyNames(Object.prototype), 'prototype'];

/** The first own key of `value` that class-transformer would silently skip, if any. */
export function keySkippedByClassTransformer(value: object): string | undefined {
  for (const key of SKIPPED_KEYS) if (Object.hasOwn(value, key)) return key;
  return undefined;
}

/** The first own key of `value` whose value is an object or an array (not null), if any. */
export function firstNestedKey(value: object): string | undefined {
  for (const key in value) {
    const field = (value as Record<string, unknown>)[key];
    if (typeof field === 'object' && field !== null) return key;
  }
  return undefined;
}

/**
 * True when `value` holds objects or arrays more than `levels` levels below it (`levels` 0: it is
 * an object or array itself). Recurses at most `levels` deep, whatever the depth of `value`.
 */
export function nestedDeeperThan(value: unknown, levels: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (levels === 0) return true;
  for (const key in value) if (nestedDeeperThan((value as Record<string, unknown>)[key], levels - 1)) return true;
  return false;
}
