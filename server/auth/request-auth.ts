/**
 * What an HTTP request (a tRPC call, a WebSocket upgrade, the audit export) says about its caller:
 * the socket's address, the credential it presents, and whether a browser sent it from another origin.
 * Pure functions of the request; auth-service.ts decides who that is.
 */
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import { SESSION_COOKIE, TOKEN_COOKIE } from './credentials';

/** What the request presents. A credential that is present but unreadable is 'malformed', never 'none'. */
export type PresentedCredential =
  | { kind: 'none' }
  | { kind: 'session'; value: string }
  | { kind: 'bearer'; value: string }
  | { kind: 'malformed'; why: string };

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (::ffff:127.0.0.1). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (net.isIPv4(a)) return a.startsWith('127.');
  return a === '::1';
}

/** A Host header naming this machine's loopback (localhost, 127.x.y.z, [::1]), with or without a port. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name.endsWith('.localhost') || isLoopbackAddress(name);
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(eq + 1).trim());
  }
  return cookies;
}

/**
 * The bearer token wins over the cookies when both are present (a script that also carries a cookie
 * jar); the session cookie wins over the token cookie.
 */
export function presentedCredential(req: Pick<IncomingMessage, 'headers'>): PresentedCredential {
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const m = /^Bearer ([^\s]+)$/.exec(authorization.trim());
    return m ? { kind: 'bearer', value: m[1] } : { kind: 'malformed', why: 'the Authorization header must be "Bearer <token>"' };
  }
  const cookies = parseCookies(req.headers.cookie);
  const session = cookies.get(SESSION_COOKIE);
  if (session !== undefined) return { kind: 'session', value: session };
  const token = cookies.get(TOKEN_COOKIE);
  if (token !== undefined) return { kind: 'bearer', value: token };
  return { kind: 'none' };
}

/**
 * Why a browser request must be refused as cross-origin (CSRF), or null when it may pass.
 * The server's own origin is the Host the request was sent to (plus any listed in ZL_ORIGINS, for a
 * reverse proxy). A request without Origin passes unless Sec-Fetch-Site says another site sent it:
 * scripts and curl send neither, and still need a credential.
 */
export function crossOriginProblem(req: Pick<IncomingMessage, 'headers'>, extraOrigins: readonly string[] = []): string | null {
  const origin = req.headers.origin;
  if (origin === undefined) {
    const site = req.headers['sec-fetch-site'];
    return site === 'cross-site' || site === 'same-site' ? `a ${site} request (Sec-Fetch-Site) is refused: use the dashboard's own pages` : null;
  }
  const host = req.headers.host?.toLowerCase();
  const own = host ? [`http://${host}`, `https://${host}`] : [];
  if (own.includes(origin.toLowerCase()) || extraOrigins.includes(origin)) return null;
  return `origin ${origin} is not this server's origin${host ? ` (http://${host})` : ''}: cross-origin requests are refused`;
}

export function remoteAddressOf(req: Pick<IncomingMessage, 'socket'>): string {
  return req.socket.remoteAddress ?? 'unknown';
}
