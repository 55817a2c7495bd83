/**
 * A page for one role and up (users and tokens: admin; the audit log: drill): its content when the
 * signed-in role allows it, a placeholder while the role is being checked, and otherwise a card
 * saying what needs which role (and `note`, why the page is kept to that role).
 */
import type { ReactNode } from 'react';
import type { Can } from '../../_lib/session';
import { Card } from '../ui/card';
import { Skeleton } from '../ui/skeleton';
import { RoleHint } from './role-hint';

export function RoleGate({ can, what, testId, note, children }: { can: Can; what: string; testId: string; note?: string; children: ReactNode }) {
  if (can.allowed) return <>{children}</>;
  if (can.checking) return <Skeleton className="h-40" />;
  return (
    <Card title="Not available" titleId={`${testId}-title`} testId={testId}>
      <RoleHint can={can} what={what} />
      {note ? <p className="mt-2 text-sm text-slate-600 dark:text-slate-400">{note}</p> : null}
    </Card>
  );
}
