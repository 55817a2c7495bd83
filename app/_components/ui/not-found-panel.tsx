/**
 * What a not-found.tsx shows: "404", a heading naming what is missing, why it may be missing, and a
 * link back to where the reader can find what exists.
 */
import Link from 'next/link';
import type { ReactNode } from 'react';

export function NotFoundPanel({
  title,
  children,
  backHref,
  backLabel,
  testId,
}: {
  title: string;
  children: ReactNode;
  backHref: string;
  backLabel: string;
  testId?: string;
}) {
  return (
    <div data-testid={testId} className="mx-auto mt-16 max-w-md text-center">
      <p className="font-mono text-sm text-slate-500 dark:text-slate-400">404</p>
      <h1 className="mt-2 text-2xl font-semibold tracking-tight">{title}</h1>
      <p className="mt-2 break-words text-sm text-slate-600 dark:text-slate-400">{children}</p>
      <Link
        href={backHref}
        className="mt-6 inline-block rounded-md bg-slate-900 px-4 py-2 text-sm font-medium text-white hover:bg-slate-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-500 dark:bg-slate-100 dark:text-slate-900"
      >
        {backLabel}
      </Link>
    </div>
  );
}
