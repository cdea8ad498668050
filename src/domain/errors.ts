/**
 * Domain errors say what went wrong in surface-neutral terms; each HTTP surface maps `kind` to a
 * status and renders the body its vendor uses. `code` is stable and machine-readable; `field`
 * names the offending input where there is one.
 */
export type ErrorKind =
  | 'invalid' //          400: the request is malformed or breaks a rule
  | 'unauthenticated' //  401: no credential, or one that does not work
  | 'forbidden' //        403: the resource is visible but the principal may not do this
  | 'not_found' //        404: absent, or outside the principal's reach
  | 'conflict' //         409: clashes with the current state (duplicate, concurrent change)
  | 'too_large'; //       413: the body is over the limit

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly field?: string,
    /** For `not_found`: what was not found, so a surface can word it its vendor's way. */
    readonly subject?: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const invalid = (field: string | undefined, message: string, code = 'invalid_input') =>
  new DomainError('invalid', code, message, field);

export const unauthenticated = (message = 'Authentication failed: provide a valid API key.', code = 'unauthenticated') =>
  new DomainError('unauthenticated', code, message);

export const forbidden = (message: string, code = 'forbidden') => new DomainError('forbidden', code, message);

export const notFound = (what: string, id?: string) =>
  new DomainError('not_found', 'not_found', id === undefined ? `${what} not found.` : `${what} ${id} not found.`, undefined, what);

export const conflict = (message: string, code = 'conflict', field?: string) =>
  new DomainError('conflict', code, message, field);
