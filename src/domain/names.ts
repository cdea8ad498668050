import { invalid } from './errors.js';

/** Names are trimmed; one that is empty after trimming is a 400 naming the field. */
export function requireNonBlankName(name: string, field = 'name'): string {
  const trimmed = name.trim();
  if (trimmed === '') throw invalid(field, `${field} must not be blank`);
  return trimmed;
}
