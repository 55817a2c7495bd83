/**
 * The two states every query shows before its data: loading (skeleton rows, announced as busy with
 * what is loading) and failed (the reason in one sentence, with a Retry).
 */
import { errorMessage } from '../../_lib/trpc';
import { Button } from './button';
import { Skeleton } from './skeleton';

export function LoadingRows({ label, rows = 3, rowClassName = 'h-7' }: { label: string; rows?: number; rowClassName?: string }) {
  return (
    <div className="space-y-2" aria-busy="true" aria-label={label}>
      {Array.from({ length: rows }, (_, i) => (
        <Skeleton key={i} className={rowClassName} />
      ))}
    </div>
  );
}

export function LoadError({ error, onRetry }: { error: Parameters<typeof errorMessage>[0]; onRetry: () => void }) {
  return (
    <div role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950/60 dark:text-red-200">
      {errorMessage(error)}{' '}
      <Button variant="ghost" onClick={onRetry}>
        Retry
      </Button>
    </div>
  );
}
