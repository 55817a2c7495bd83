/**
 * The security settings from the environment (main.ts passes process.env in):
 *   HOST            where the dashboard listens; beyond loopback an admin token is required
 *   ZL_ADMIN_TOKEN  the admin token (at least 16 characters); when HOST is not loopback and this is
 *                   unset, a random one is generated and printed once at start
 *   ZL_AUTH         "required": loopback clients need a sign-in too (default: loopback is the local admin)
 *   ZL_ORIGINS      comma-separated origins browsers may also call from (a reverse proxy's https://…)
 */
import { isLoopbackAddress } from './request-auth';
import { newToken } from './credentials';
import type { SecurityOptions } from './security';

export class SecurityConfigError extends Error {}

export function isLoopbackBinding(host: string): boolean {
  return host === 'localhost' || isLoopbackAddress(host);
}

/** The options, and the line to print once (the generated admin token), if any. */
export function securityConfig(env: NodeJS.ProcessEnv, host: string): { options: SecurityOptions; notice: string | null } {
  const auth = env.ZL_AUTH ?? '';
  if (auth !== '' && auth !== 'required' && auth !== 'local') {
    throw new SecurityConfigError(`ZL_AUTH must be "required" (every client signs in) or "local" (loopback clients are the local admin, the default), not "${auth}"`);
  }
  let adminToken = env.ZL_ADMIN_TOKEN || undefined;
  if (adminToken !== undefined && (adminToken.length < 16 || /\s/.test(adminToken))) {
    throw new SecurityConfigError('ZL_ADMIN_TOKEN must be at least 16 characters without spaces (generate one with: node -e "console.log(crypto.randomBytes(32).toString(\'base64url\'))")');
  }
  const extraOrigins = (env.ZL_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean);
  for (const origin of extraOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) throw new SecurityConfigError(`ZL_ORIGINS: ${origin} must be an origin such as https://lab.example.com (scheme, host, optional port; no path)`);
  }
  let notice: string | null = null;
  if (!isLoopbackBinding(host)) {
    if (adminToken === undefined) {
      adminToken = newToken();
      notice = `HOST=${host} is reachable beyond this machine: every client needs a sign-in or a token. Admin token (shown once; set ZL_ADMIN_TOKEN to choose your own): ${adminToken}`;
    } else {
      notice = `HOST=${host} is reachable beyond this machine: every client needs a sign-in or a token (the admin token is ZL_ADMIN_TOKEN)`;
    }
  }
  return { options: { requireLogin: auth === 'required', adminToken, extraOrigins }, notice };
}
