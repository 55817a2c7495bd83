/**
 * The states every query shows besides its data: loading (skeleton rows, announced as busy with what
 * is loading), failed (what could not be loaded and the server's reason in one sentence, with a
 * Retry), and empty (one centred sentence saying why there is nothing). And the line under a form or
 * a button row that says why the request it sent was refused.
 */
import type { ReactNode } from 'react';
import { errorMessage } from '../../_lib/trpc';
import { Button } from './button';
import { Skeleton } from './skeleton';

/** `rows`: how many rows of `rowClassName`, or one class per row when they differ (a header, then a table). */
export function LoadingRows({ label, rows = 3, rowClassName = 'h-7' }: { label: string; rows?: number | readonly string[]; rowClassName?: string }) {
  const classes = typeof rows === 'number' ? Array.from({ length: rows }, () => rowClassName) : rows;
  return (
    <div className="space-y-2" aria-busy="true" aria-label={label}>
      {classes.map((className, i) => (
        <Skeleton key={i} className={className} />
      ))}
    </div>
  );
}

/** `what` names what could not be loaded ("Could not load the history"), when the card does not make it plain. */
export function LoadError({ error, onRetry, what }: { error: Parameters<typeof errorMessage>[0]; onRetry: () => void; what?: string }) {
  return (
    <div role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950/60 dark:text-red-200">
      {what ? `${what}: ` : ''}
      {errorMessage(error)}{' '}
      <Button variant="ghost" onClick={onRetry}>
        Retry
      </Button>
    </div>
  );
}

/** `boxed`: on a grey ground, where the list it stands for has no table or frame around it. */
export function EmptyNote({ children, testId, boxed = false }: { children: ReactNode; testId?: string; boxed?: boolean }) {
  return (
    <p
      data-testid={testId}
      className={`text-center text-sm text-slate-600 dark:text-slate-400 ${boxed ? 'rounded-md bg-slate-50 px-3 py-4 dark:bg-slate-800/50' : 'py-6'}`}
    >
      {children}
    </p>
  );
}

/** A refused request's sentence, as an alert; `className` places it (its top margin). */
export function RequestError({ children, id, testId, className = 'mt-3' }: { children: ReactNode; id?: string; testId?: string; className?: string }) {
  return (
    <p id={id} role="alert" data-testid={testId} className={`${className} rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950/60 dark:text-red-200`}>
      {children}
    </p>
  );
}
