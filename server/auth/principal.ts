/** Who is calling, once auth-service.ts resolved a request. Shared by the tRPC context, the live stream and the audit log. */
import type { Role } from './roles';

export interface Principal {
  /** user name, "local", "admin-token" or "token:<name>" */
  name: string;
  role: Role;
  /** how the caller proved it: a loopback request without credential, a session cookie, an API token, the admin token */
  via: 'local' | 'session' | 'token' | 'admin-token' | 'cli';
  userId?: number;
  /** the SHA-256 of the session id, for sign-out */
  sessionHash?: string;
}

/** A request that resolved to nobody: why, for the 401's message. */
export interface AuthFailure {
  reason: string;
}
