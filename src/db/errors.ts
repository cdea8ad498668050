/** PostgreSQL error classification, the same for pg and PGlite (both carry the SQLSTATE in `code`). */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}

/** A foreign key violation, with the constraint's name when the driver reports it. */
export function foreignKeyViolation(error: unknown): { constraint: string | undefined } | undefined {
  if (typeof error !== 'object' || error === null || (error as { code?: unknown }).code !== '23503') return undefined;
  const constraint = (error as { constraint?: unknown }).constraint;
  return { constraint: typeof constraint === 'string' ? constraint : undefined };
}
