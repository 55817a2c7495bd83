'use client';
/**
 * The signed-in user and what their role allows, for disabling controls (with the reason). It asks
 * the server (auth.me) who this browser is: the local admin (a loopback client without sign-in), a
 * signed-in user, or nobody. The server enforces the same rules; this only keeps the UI honest about them.
 */
import { ROLE_ABILITIES, roleAtLeast, type Role } from '@/server/auth/roles';
import { errorMessage, trpc } from './trpc';

export type { Role };

export interface Session {
  /** '' while loading or when nobody is signed in */
  user: string;
  /** 'viewer' unless signed in: the lowest, so nothing is offered that would be refused */
  role: Role;
  loading: boolean;
  signedIn: boolean;
  /** how the server knows the caller: local (loopback), session, token, admin-token */
  via?: string;
  /** why nobody is signed in (expired session, not a loopback client, …) */
  reason?: string;
  /** ZL_AUTH=required: every client signs in, loopback too */
  requireLogin: boolean;
}

export function useSession(): Session {
  const me = trpc.auth.me.useQuery(undefined, { staleTime: 30_000, refetchOnWindowFocus: true, retry: 1 });
  if (me.isPending) return { user: '', role: 'viewer', loading: true, signedIn: false, requireLogin: false };
  if (me.isError) return { user: '', role: 'viewer', loading: false, signedIn: false, reason: errorMessage(me.error), requireLogin: false };
  const d = me.data;
  if (!d.signedIn) return { user: '', role: 'viewer', loading: false, signedIn: false, reason: d.reason, requireLogin: d.requireLogin };
  return { user: d.user, role: d.role, loading: false, signedIn: true, via: d.via, requireLogin: d.requireLogin };
}

/** What a control needs to know: may it act, and if not why (`checking` while the role is not known yet). */
export interface Can {
  allowed: boolean;
  reason?: string;
  checking?: boolean;
}

/** Whether the current user may do what needs `need`; when not, a sentence saying why. */
export function useCan(need: Role): Can {
  const session = useSession();
  if (session.loading) return { allowed: false, reason: 'checking your role…', checking: true };
  if (!session.signedIn) return { allowed: false, reason: `sign in first (${session.reason ?? 'nobody is signed in'})` };
  if (roleAtLeast(session.role, need)) return { allowed: true };
  return { allowed: false, reason: `needs the ${need} role (${ROLE_ABILITIES[need]}); you are ${session.user}, a ${session.role}` };
}
