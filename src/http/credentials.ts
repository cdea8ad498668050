/** Reads an `Authorization` header (HTTP Basic or Bearer) into a Credential. Never logs it. */
import type { Credential } from '../domain/auth/authenticator.js';
import { unauthenticated } from '../domain/errors.js';

export function parseAuthorization(header: string | undefined): Credential {
  if (header === undefined || header.trim() === '') {
    throw unauthenticated('Missing credentials: send Authorization: Basic base64(keyId:keySecret), or Bearer <keySecret>.');
  }
  const [scheme = '', ...rest] = header.trim().split(/\s+/);
  const value = rest.join(' ');
  switch (scheme.toLowerCase()) {
    case 'bearer':
      if (value === '') throw unauthenticated('Malformed Authorization header: Bearer needs a token.');
      return { scheme: 'bearer', token: value };
    case 'basic': {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon <= 0 || colon === decoded.length - 1) {
        throw unauthenticated('Malformed Authorization header: Basic needs base64(keyId:keySecret).');
      }
      return { scheme: 'basic', keyId: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
    }
    default:
      throw unauthenticated('Unsupported Authorization scheme: use Basic or Bearer.');
  }
}
