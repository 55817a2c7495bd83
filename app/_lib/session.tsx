'use client';
/**
 * The signed-in user and what their role allows, for hiding or disabling controls (with the reason).
 * The server enforces the same rules; this only keeps the UI honest about them.
 */
import { ROLE_ABILITIES, roleAtLeast, type Role } from '@/server/auth/roles';

export type { Role };

export interface Session {
  user: string;
  role: Role;
  loading: boolean;
}

export function useSession(): Session {
  return { user: 'local', role: 'admin', loading: false };
}

/** Whether the current user may do what needs `need`; when not, a sentence saying why. */
export function useCan(need: Role): { allowed: boolean; reason?: string } {
  const session = useSession();
  if (session.loading) return { allowed: false, reason: 'checking your role…' };
  if (roleAtLeast(session.role, need)) return { allowed: true };
  return { allowed: false, reason: `needs the ${need} role (${ROLE_ABILITIES[need]}); you are ${session.user}, a ${session.role}` };
}
