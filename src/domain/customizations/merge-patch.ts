/**
 * JSON Merge Patch (RFC 7396), as a pure function: the target is never modified.
 * - a patch that is not an object replaces the target whole;
 * - an object patch merges member by member into the target (a non-object target counts as {}):
 *   a null member removes that member, any other value is merged recursively (so arrays and
 *   scalars replace, objects merge).
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return patch;
  const result: Record<string, unknown> = isJsonObject(target) ? { ...target } : {};
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) {
      delete result[name];
    } else {
      const current = Object.hasOwn(result, name) ? result[name] : undefined;
      // defineProperty, not assignment: a member named "__proto__" stays a member.
      Object.defineProperty(result, name, { value: mergePatch(current, value), enumerable: true, writable: true, configurable: true });
    }
  }
  return result;
}

/** A JSON object: not null, not an array. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
