/**
 * The security options from the environment (server/environment.ts validates the variables; main.ts
 * passes them in):
 *   HOST            where the dashboard listens; beyond loopback an admin token is required
 *   ZL_ADMIN_TOKEN  the admin token (at least 16 characters); when HOST is not loopback and this is
 *                   unset, a random one is generated and printed once at start
 *   ZL_AUTH         "required": loopback clients need a sign-in too (default: loopback is the local admin)
 *   ZL_ORIGINS      comma-separated origins browsers may also call from (a reverse proxy's https://…)
 *   ZL_AUDIT_KEEP_DAYS, ZL_AUDIT_KEEP_ROWS  the audit log's retention (server/auth/audit-log.ts)
 */
import { isLoopbackAddress } from './request-auth';
import { newToken } from './credentials';
import type { SecurityOptions } from './security';
import type { ServerEnvironment } from '../environment';
import { AUDIT_RETENTION } from './audit-log';

export function isLoopbackBinding(host: string): boolean {
  return host === 'localhost' || isLoopbackAddress(host);
}

/** The options, and the line to print once (the generated admin token), if any. */
export function securityConfig(env: Pick<ServerEnvironment, 'ZL_AUTH' | 'ZL_ADMIN_TOKEN' | 'ZL_ORIGINS'> & Partial<Pick<ServerEnvironment, 'ZL_AUDIT_KEEP_DAYS' | 'ZL_AUDIT_KEEP_ROWS'>>, host: string): { options: SecurityOptions; notice: string | null } {
  let adminToken = env.ZL_ADMIN_TOKEN;
  let notice: string | null = null;
  if (!isLoopbackBinding(host)) {
    if (adminToken === undefined) {
      adminToken = newToken();
      notice = `HOST=${host} is reachable beyond this machine: every client needs a sign-in or a token. Admin token (shown once; set ZL_ADMIN_TOKEN to choose your own): ${adminToken}`;
    } else {
      notice = `HOST=${host} is reachable beyond this machine: every client needs a sign-in or a token (the admin token is ZL_ADMIN_TOKEN)`;
    }
  }
  const auditRetention = { ...AUDIT_RETENTION, keepDays: env.ZL_AUDIT_KEEP_DAYS ?? AUDIT_RETENTION.keepDays, keepRows: env.ZL_AUDIT_KEEP_ROWS ?? AUDIT_RETENTION.keepRows };
  return { options: { requireLogin: env.ZL_AUTH === 'required', adminToken, extraOrigins: env.ZL_ORIGINS, auditRetention }, notice };
}
