'use client';
/**
 * What a route's error.tsx shows when its page throws while rendering: which page broke, the error's
 * own sentence, and two ways back (try the page again, or reload it). The broker and the traffic run
 * in the control plane, not in the page, so the text says they are unaffected.
 *
 * Next passes `reset` (render the page again) and, from Next 15.2 on, `retry` (refetch the route's
 * server part, then render again); retry is preferred because it also recovers a failed server render.
 */
import { useEffect } from 'react';

export interface RouteErrorProps {
  error: unknown;
  retry?: () => void;
  reset?: () => void;
}

export function RouteError({ error, retry, reset, title, what }: RouteErrorProps & { title: string; what: string }) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  const message = error instanceof Error ? error.message : String(error);
  const digest = error instanceof Error ? (error as Error & { digest?: string }).digest : undefined;
  return (
    <div role="alert" data-testid="route-error" className="mx-auto mt-10 max-w-xl rounded-xl border border-red-200 bg-white p-6 shadow-sm dark:border-red-900 dark:bg-slate-900">
      <h1 className="text-lg font-semibold text-red-700 dark:text-red-300">{title}</h1>
      <p className="mt-2 text-sm text-slate-700 dark:text-slate-300">
        The dashboard hit an error while showing {what}. The broker and the traffic keep running; only the page stopped.
      </p>
      <pre className="mt-3 overflow-x-auto whitespace-pre-wrap rounded-md bg-slate-100 p-3 font-mono text-xs text-slate-800 dark:bg-slate-950 dark:text-slate-200">
        {message}
        {digest ? `\n(digest ${digest})` : ''}
      </pre>
      <div className="mt-4 flex gap-2">
        <button
          type="button"
          onClick={() => (retry ?? reset)?.()}
          className="rounded-md bg-slate-900 px-4 py-2 text-sm font-medium text-white hover:bg-slate-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-500 dark:bg-slate-100 dark:text-slate-900 dark:hover:bg-white"
        >
          Try again
        </button>
        <button
          type="button"
          onClick={() => window.location.reload()}
          className="rounded-md border border-slate-300 px-4 py-2 text-sm font-medium hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-500 dark:border-slate-700 dark:hover:bg-slate-800"
        >
          Reload the page
        </button>
      </div>
    </div>
  );
}
