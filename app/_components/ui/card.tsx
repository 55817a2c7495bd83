import type { ReactNode } from 'react';

/** A titled panel of the dashboard grid. */
export function Card({
  title,
  titleId,
  actions,
  children,
  className = '',
  testId,
}: {
  title: ReactNode;
  titleId: string;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  testId?: string;
}) {
  return (
    <section
      aria-labelledby={titleId}
      data-testid={testId}
      className={`flex min-w-0 flex-col rounded-xl border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900 ${className}`}
    >
      <header className="mb-3 flex flex-wrap items-center justify-between gap-2">
        <h2 id={titleId} className="text-sm font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-300">
          {title}
        </h2>
        {actions}
      </header>
      {children}
    </section>
  );
}
