/**
 * A zod schema for a JSON object keyed by names from a file (VIA3 ids, split names, video ids): it yields
 * a `Map`, never a plain object, so that a key such as `__proto__`, `constructor` or `toString` is an
 * ordinary entry. (`z.record` assigns into a plain object: `__proto__` vanishes and inherited names
 * shadow nothing but look present.) Issues keep their path, `[key, ...]`, for the one-line error.
 */
import { z } from 'zod';

export function jsonMap<V extends z.ZodType>(value: V): z.ZodType<Map<string, z.output<V>>, unknown> {
  return z.unknown().transform((input, ctx) => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      ctx.issues.push({ code: 'invalid_type', expected: 'object', input, message: `expected object, got ${input === null ? 'null' : Array.isArray(input) ? 'array' : typeof input}` });
      return z.NEVER;
    }
    const out = new Map<string, z.output<V>>();
    // Own enumerable keys only: JSON.parse makes `__proto__` an own property, which Object.keys lists.
    for (const key of Object.keys(input)) {
      const r = value.safeParse((input as Record<string, unknown>)[key]);
      if (!r.success) {
        for (const issue of r.error.issues) ctx.issues.push({ ...issue, path: [key, ...issue.path] } as never);
        return z.NEVER;
      }
      out.set(key, r.data as z.output<V>);
    }
    return out;
  }) as unknown as z.ZodType<Map<string, z.output<V>>, unknown>;
}

/** A null-prototype object from entries, for JSON output keyed by names from files (`__proto__` stays a key). */
export function jsonObjectOf<V>(entries: Iterable<readonly [string, V]>): Record<string, V> {
  const out = Object.create(null) as Record<string, V>;
  for (const [k, v] of entries) out[k] = v;
  return out;
}
