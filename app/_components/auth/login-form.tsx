'use client';
/**
 * Sign in with a user name and password (users are created by an admin on the Users page or with
 * `npx zeroloss user add`). A wrong name or password gets one generic sentence, never which of the two.
 * Or with an API token (the admin token printed at start, or one made on the Users page): the way in
 * for the first admin of a server bound beyond loopback.
 */
import { useState, type FormEvent } from 'react';
import { errorMessage, trpc } from '../../_lib/trpc';
import { useSession } from '../../_lib/session';
import { Button } from '../ui/button';
import { RequestError } from '../ui/query-state';
import { inputClass } from '../ui/form';

/** Where to go after signing in: a path on this site only (never an absolute URL from the query string). */
function nextPath(): string {
  const next = new URLSearchParams(window.location.search).get('next') ?? '/';
  return next.startsWith('/') && !next.startsWith('//') && next !== '/login' ? next : '/';
}

export function LoginForm() {
  const session = useSession();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [withToken, setWithToken] = useState(false);
  const [token, setToken] = useState('');
  // A full load after either: every query and the live stream start again as the new user.
  const login = trpc.auth.login.useMutation({ onSuccess: () => window.location.assign(nextPath()) });
  const tokenLogin = trpc.auth.loginWithToken.useMutation({ onSuccess: () => window.location.assign(nextPath()) });
  const pending = withToken ? tokenLogin : login;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (withToken) tokenLogin.mutate({ token: token.trim() });
    else login.mutate({ name: name.trim(), password });
  };

  return (
    <div className="mx-auto mt-10 max-w-sm">
      <section aria-labelledby="login-title" className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900">
        <h1 id="login-title" className="text-lg font-semibold">
          Sign in to Zeroloss
        </h1>
        {session.loading ? (
          <p className="mt-1 h-4 w-48 animate-pulse rounded bg-slate-200 dark:bg-slate-800" aria-label="Checking who is signed in" />
        ) : session.signedIn ? (
          <p data-testid="login-current" className="mt-1 text-sm text-slate-600 dark:text-slate-400">
            {session.via === 'local'
              ? 'This browser runs on the server’s machine, so it is the local admin already; sign in to act as your own user.'
              : `You are signed in as ${session.user} (${session.role}); signing in again switches user.`}
          </p>
        ) : (
          <p data-testid="login-reason" className="mt-1 text-sm text-slate-600 dark:text-slate-400">
            {session.reason ?? 'Sign in to use the dashboard.'}
          </p>
        )}
        <form onSubmit={submit} className="mt-5 space-y-4" aria-describedby={pending.isError ? 'login-error' : undefined}>
          {withToken ? (
            <label className="block text-sm">
              <span className="font-medium">API token</span>
              <input
                data-testid="login-token"
                name="token"
                type="password"
                autoComplete="off"
                autoFocus
                required
                placeholder="zl_…"
                value={token}
                onChange={(e) => setToken(e.target.value)}
                className={`${inputClass} font-mono`}
              />
            </label>
          ) : (
          <>
          <label className="block text-sm">
            <span className="font-medium">User name</span>
            <input
              data-testid="login-name"
              name="username"
              autoComplete="username"
              autoFocus
              required
              value={name}
              onChange={(e) => setName(e.target.value)}
              className={inputClass}
            />
          </label>
          <label className="block text-sm">
            <span className="font-medium">Password</span>
            <input
              data-testid="login-password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              className={inputClass}
            />
          </label>
          </>
          )}
          {pending.isError ? (
            <RequestError id="login-error" testId="login-error" className="">
              {errorMessage(pending.error)}
            </RequestError>
          ) : null}
          <Button type="submit" variant="primary" data-testid="login-submit" className="w-full" busy={pending.isPending || pending.isSuccess} disabled={withToken ? token.trim() === '' : name.trim() === '' || password === ''}>
            Sign in
          </Button>
        </form>
        <button
          type="button"
          data-testid="login-mode"
          onClick={() => setWithToken((t) => !t)}
          className="mt-3 text-sm font-medium text-emerald-800 underline-offset-2 hover:underline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-500 dark:text-emerald-300"
        >
          {withToken ? 'Sign in with a user name and password instead' : 'Sign in with an API token instead'}
        </button>
        <p className="mt-4 text-xs text-slate-500 dark:text-slate-400">
          No account? An admin adds users on the Users page, or on the server with <code className="font-mono">npx zeroloss user add NAME --role ROLE</code>.
        </p>
      </section>
    </div>
  );
}
