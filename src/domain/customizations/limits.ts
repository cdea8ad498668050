/**
 * The limits on an organization's customizations, checked on the value that would be stored
 * (after a merge patch is applied, not on the patch). Each violation is a 400 whose message names
 * the limit and whose field is the path of the offending value, e.g. `customizations.theme.logo`.
 */
import { invalid } from '../errors.js';
import { isJsonObject } from './merge-patch.js';
import { MAX_CUSTOMIZATION_STRING_BYTES, MAX_CUSTOMIZATIONS_BYTES, MAX_CUSTOMIZATIONS_DEPTH } from './customizations.schemas.js';

export const ROOT_PATH = 'customizations';

/**
 * Returns the value as customizations, or throws the first limit it breaks. Depth and strings are
 * checked first, by a walk that never descends past the depth limit: the size is measured with
 * JSON.stringify, which would overflow the stack on a value nested thousands of levels deep.
 */
export function checkCustomizations(value: unknown): Record<string, unknown> {
  if (!isJsonObject(value)) {
    throw invalid(ROOT_PATH, `${ROOT_PATH} must be a JSON object`, 'customizations_not_object');
  }
  walk(value, ROOT_PATH, 1, true);
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (bytes > MAX_CUSTOMIZATIONS_BYTES) {
    throw invalid(
      ROOT_PATH,
      `${ROOT_PATH} would be ${bytes} bytes of JSON; customizations may be at most ${MAX_CUSTOMIZATIONS_BYTES} bytes (64 KiB)`,
      'customizations_too_large',
    );
  }
  return value;
}

/**
 * Only the depth limit. A merge patch nested deeper than the limit always gives a result nested at
 * least as deep (every object in a patch becomes an object in the result), so a patch can be
 * refused by this before it is applied, with the same path — and merging it never recurses deeply.
 */
export function checkDepth(value: unknown): void {
  walk(value, ROOT_PATH, 1, false);
}

function walk(value: unknown, path: string, depth: number, checkStrings: boolean): void {
  if (typeof value === 'string') {
    if (checkStrings) checkString(value, path);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  if (depth > MAX_CUSTOMIZATIONS_DEPTH) {
    throw invalid(
      path,
      `${path} is nested ${depth} levels deep; customizations may be at most ${MAX_CUSTOMIZATIONS_DEPTH} levels deep`,
      'customizations_too_deep',
    );
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) walk(value[i], `${path}[${i}]`, depth + 1, checkStrings);
    return;
  }
  for (const [name, member] of Object.entries(value)) {
    const memberPath = pathOf(path, name);
    if (checkStrings) storable(name, memberPath, 'its name');
    walk(member, memberPath, depth + 1, checkStrings);
  }
}

function checkString(value: string, path: string): void {
  // A UTF-16 unit is at most 3 UTF-8 bytes: short strings need no counting.
  if (value.length > MAX_CUSTOMIZATION_STRING_BYTES / 3) {
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > MAX_CUSTOMIZATION_STRING_BYTES) {
      throw invalid(
        path,
        `${path} is ${bytes} bytes; string values may be at most ${MAX_CUSTOMIZATION_STRING_BYTES} bytes (4 KiB)`,
        'customization_value_too_long',
      );
    }
  }
  storable(value, path, 'it');
}

/** PostgreSQL's jsonb refuses NUL characters and unpaired surrogates: a 400 here, not a 500 there. */
function storable(text: string, path: string, what: string): void {
  if (text.includes('\u0000') || LONE_SURROGATE.test(text)) {
    throw invalid(path, `${path} cannot be stored: ${what} contains a NUL character or an unpaired UTF-16 surrogate`, 'customization_value_invalid');
  }
}

const LONE_SURROGATE = /\p{Cs}/u;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const MAX_NAME_IN_PATH = 64;

/** `a.b` for identifier-like names, `a["x y"]` for others (long names shortened: a path is for reading). */
function pathOf(parent: string, name: string): string {
  if (IDENTIFIER.test(name) && name.length <= MAX_NAME_IN_PATH) return `${parent}.${name}`;
  const shown = name.length > MAX_NAME_IN_PATH ? `${name.slice(0, MAX_NAME_IN_PATH)}…` : name;
  return `${parent}[${JSON.stringify(shown)}]`;
}
