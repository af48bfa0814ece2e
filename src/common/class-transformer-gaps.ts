/**
 * class-transformer drops these keys without a word (prototype-pollution guard), so a
 * `forbidNonWhitelisted` validation never sees them. Profile A refuses them explicitly.
 */
const SKIPPED_KEYS = ['__proto__', 'constructor'] as const;

/** The first own key of `value` that class-transformer would silently skip, if any. */
export function keySkippedByClassTransformer(value: object): string | undefined {
  for (const key of SKIPPED_KEYS) if (Object.hasOwn(value, key)) return key;
  return undefined;
}
