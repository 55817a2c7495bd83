/**
 * The secrets of the control plane: session ids (the cookie's value), API tokens and the admin
 * token. Each is 32 random bytes; the database keeps only its SHA-256 hash, so a copy of the
 * database lets nobody sign in. Passwords are different (chosen by people, so guessable): they are
 * hashed with bcrypt in auth-service.ts.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'zl_session';
/** A browser signed in with an API token (the login page's token form) carries it in this httpOnly cookie. */
export const TOKEN_COOKIE = 'zl_token';
/** a session lasts this long after sign-in, then the user signs in again */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** API tokens and the generated admin token: "zl_" + 32 random bytes in base64url */
export const TOKEN_PATTERN = /^zl_[A-Za-z0-9_-]{43}$/;
/** a session cookie's value: 32 random bytes in base64url */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

export function newToken(): string {
  return `zl_${randomBytes(32).toString('base64url')}`;
}

export function sha256Hex(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Compares two secrets in time independent of where they differ. */
export function secretsEqual(a: string, b: string): boolean {
  const x = Buffer.from(sha256Hex(a), 'hex');
  const y = Buffer.from(sha256Hex(b), 'hex');
  return timingSafeEqual(x, y);
}
