'use client';
/**
 * The header's right end: the Audit and Users links (Users for admins only), who is signed in with
 * which role, and Sign in / Sign out. A browser the server does not know is sent to the login page.
 */
import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { useEffect } from 'react';
import { errorMessage, trpc } from '../../_lib/trpc';
import { useSession } from '../../_lib/session';

const ROLE_BADGE: Record<string, string> = {
  viewer: 'bg-slate-100 text-slate-700 ring-slate-300 dark:bg-slate-800 dark:text-slate-200 dark:ring-slate-700',
  operator: 'bg-sky-50 text-sky-800 ring-sky-200 dark:bg-sky-950/60 dark:text-sky-200 dark:ring-sky-900',
  drill: 'bg-amber-50 text-amber-800 ring-amber-200 dark:bg-amber-950/60 dark:text-amber-200 dark:ring-amber-900',
  admin: 'bg-violet-50 text-violet-800 ring-violet-200 dark:bg-violet-950/60 dark:text-violet-200 dark:ring-violet-900',
};

const linkClass = (active: boolean) =>
  `whitespace-nowrap rounded-md px-2.5 py-1 text-sm font-medium focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-500 ${
    active
      ? 'bg-slate-900 text-white dark:bg-slate-100 dark:text-slate-900'
      : 'text-slate-600 hover:bg-slate-100 hover:text-slate-900 dark:text-slate-300 dark:hover:bg-slate-800 dark:hover:text-white'
  }`;

export function UserMenu() {
  const session = useSession();
  const pathname = usePathname() ?? '/';
  const router = useRouter();
  const logout = trpc.auth.logout.useMutation({
    // A full load drops every cached answer and reopens the live stream without the old session.
    onSuccess: () => window.location.assign('/login'),
  });

  const onLogin = pathname === '/login';
  useEffect(() => {
    if (!session.loading && !session.signedIn && !onLogin) router.replace(`/login?next=${encodeURIComponent(pathname)}`);
  }, [session.loading, session.signedIn, onLogin, pathname, router]);

  if (session.loading) {
    return <span className="h-6 w-40 animate-pulse rounded-md bg-slate-200 dark:bg-slate-800" aria-label="Checking who is signed in" />;
  }
  return (
    <div className="flex flex-wrap items-center gap-2 text-sm" data-testid="user-menu">
      {session.signedIn ? (
        <nav aria-label="Administration" className="flex gap-1">
          <Link href="/audit" aria-current={pathname === '/audit' ? 'page' : undefined} className={linkClass(pathname === '/audit')} data-testid="nav-audit">
            Audit
          </Link>
          {session.role === 'admin' ? (
            <Link href="/users" aria-current={pathname === '/users' ? 'page' : undefined} className={linkClass(pathname === '/users')} data-testid="nav-users">
              Users
            </Link>
          ) : null}
        </nav>
      ) : null}
      {session.signedIn ? (
        <span className="flex items-center gap-1.5" title={session.via === 'local' ? 'a loopback client without sign-in is the local admin' : `signed in via ${session.via}`}>
          <span className="sr-only">Signed in as </span>
          <span data-testid="session-user" className="max-w-[10rem] truncate font-medium text-slate-900 dark:text-slate-100">
            {session.user}
          </span>
          <span data-testid="session-role" className={`rounded px-1.5 py-0.5 text-[11px] font-semibold ring-1 ${ROLE_BADGE[session.role]}`}>
            {session.role}
          </span>
        </span>
      ) : (
        <span className="text-slate-500 dark:text-slate-400">not signed in</span>
      )}
      {session.via === 'session' ? (
        <button
          type="button"
          data-testid="sign-out"
          onClick={() => logout.mutate()}
          disabled={logout.isPending}
          className="rounded-md border border-slate-300 px-2.5 py-1 text-sm font-medium hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-500 disabled:opacity-50 dark:border-slate-700 dark:hover:bg-slate-800"
        >
          Sign out
        </button>
      ) : !onLogin ? (
        <Link href="/login" data-testid="sign-in" className="rounded-md border border-slate-300 px-2.5 py-1 text-sm font-medium hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-500 dark:border-slate-700 dark:hover:bg-slate-800">
          Sign in
        </Link>
      ) : null}
      {logout.isError ? (
        <span role="alert" className="text-xs text-red-700 dark:text-red-300">
          {errorMessage(logout.error)}
        </span>
      ) : null}
    </div>
  );
}
