/**
 * The control plane's security services in one object: who a request is (auth), what was done
 * (audit), and the origins a browser may call from. server/main.ts builds it from the environment;
 * the tRPC context, the live stream's upgrade and the audit export all use it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PrismaClient } from '@prisma/client';
import { AuditLog, type AuditRetention } from './audit-log';
import { AuthService, type AuthOptions } from './auth-service';
import { SESSION_COOKIE, TOKEN_COOKIE } from './credentials';
import type { Principal } from './principal';
import { crossOriginProblem, remoteAddressOf } from './request-auth';
import { roleAtLeast, type Role } from './roles';

export interface SecurityOptions extends AuthOptions {
  /** ZL_ORIGINS: origins besides the request's own Host that browsers may call from (a reverse proxy's) */
  extraOrigins?: string[];
  /** the audit log's retention and its limit on anonymous rows */
  auditRetention?: AuditRetention;
}

export class Security {
  readonly auth: AuthService;
  readonly audit: AuditLog;
  readonly extraOrigins: string[];

  constructor(prisma: PrismaClient, options: SecurityOptions) {
    this.auth = new AuthService(prisma, options);
    this.audit = new AuditLog(prisma, options.auditRetention);
    this.extraOrigins = options.extraOrigins ?? [];
  }

  originProblem(req: Pick<IncomingMessage, 'headers'>): string | null {
    return crossOriginProblem(req, this.extraOrigins);
  }

  /**
   * The gate of a plain HTTP route or a WebSocket upgrade: the origin (when `checkOrigin`), then
   * who the caller is, then the role. The answer is the status to refuse with, or the principal.
   */
  async gate(req: IncomingMessage, need: Role, checkOrigin: boolean): Promise<{ principal: Principal } | { status: 401 | 403; message: string }> {
    const origin = checkOrigin ? this.originProblem(req) : null;
    if (origin) return { status: 403, message: origin };
    const who = await this.auth.resolve(req);
    if ('failure' in who) return { status: 401, message: who.failure.reason };
    if (!roleAtLeast(who.principal.role, need)) return { status: 403, message: `needs the ${need} role; ${who.principal.name} is a ${who.principal.role}` };
    return who;
  }
}

/** The session cookie: httpOnly (no script reads it), SameSite=Strict (no other site sends it), Secure over TLS. */
export function sessionCookie(req: IncomingMessage, value: string, maxAgeSeconds: number, name: typeof SESSION_COOKIE | typeof TOKEN_COOKIE = SESSION_COOKIE): string {
  const secure = (req.socket as { encrypted?: boolean }).encrypted ? '; Secure' : '';
  return `${name}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

export function setCookie(res: ServerResponse, cookie: string): void {
  const existing = res.getHeader('set-cookie');
  const list = Array.isArray(existing) ? existing : existing === undefined ? [] : [String(existing)];
  res.setHeader('set-cookie', [...list, cookie]);
}

export { remoteAddressOf };
