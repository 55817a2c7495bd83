import type { Can } from '../../_lib/session';

/**
 * The visible half of a control disabled by role: one line under it saying what needs which role
 * (the control's title carries the same sentence). Nothing while the role is still being checked.
 */
export function RoleHint({ can, what, testId = 'role-hint' }: { can: Can; what: string; testId?: string }) {
  if (can.allowed || !can.reason || can.checking) return null;
  return (
    <p data-testid={testId} className="mt-1.5 flex items-start gap-1.5 text-xs text-amber-800 dark:text-amber-300">
      <svg aria-hidden="true" viewBox="0 0 16 16" className="mt-0.5 h-3 w-3 shrink-0 fill-current">
        <path d="M8 1a4 4 0 0 0-4 4v2H3a1 1 0 0 0-1 1v6a1 1 0 0 0 1 1h10a1 1 0 0 0 1-1V8a1 1 0 0 0-1-1h-1V5a4 4 0 0 0-4-4Zm-2 6V5a2 2 0 1 1 4 0v2H6Z" />
      </svg>
      <span>
        {what}: {can.reason}
      </span>
    </p>
  );
}
