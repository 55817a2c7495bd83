/**
 * A process's state as a coloured pill with a dot (starting, running, stopping, stopped, crashed),
 * the same for the broker, the slave, the producer and each consumer. The state's text carries the
 * test id; `srPrefix` says whose state it is to a screen reader ("slave state: running").
 */
import type { ReactNode } from 'react';
import { STATE_BADGE, STATE_DOT, type ProcessState } from '../../_lib/status';

export function StateBadge({
  state,
  testId,
  srPrefix,
  small = false,
  children,
}: {
  state: ProcessState;
  testId: string;
  srPrefix?: string;
  /** the smaller pill of a list item (a consumer process) */
  small?: boolean;
  /** the text, when it is more than the state's name ("2 of 3 running") */
  children?: ReactNode;
}) {
  return (
    <span className={`inline-flex items-center gap-1.5 rounded-full font-semibold ring-1 ${small ? 'px-2 py-0.5 text-xs' : 'px-2.5 py-0.5 text-sm'} ${STATE_BADGE[state]}`}>
      <span className={`${small ? 'h-1.5 w-1.5' : 'h-2 w-2'} rounded-full ${STATE_DOT[state]}`} aria-hidden="true" />
      {srPrefix ? <span className="sr-only">{srPrefix}</span> : null}
      <span data-testid={testId}>{children ?? state}</span>
    </span>
  );
}
