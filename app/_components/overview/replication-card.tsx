'use client';
/**
 * A read-only glance at replication: the slave process, the HA link's state and how far the slave
 * is behind. Shown only when the live state carries it; every field is optional here.
 */
import type { LiveState } from '@/server/live/types';
import { bytes, grouped, ms } from '../../_lib/format';
import { STATE_BADGE, STATE_DOT } from '../../_lib/status';
import { Card } from '../ui/card';

type Replication = NonNullable<LiveState['replication']>;

export function ReplicationCard({ replication }: { replication: Replication }) {
  const slave = replication.slave;
  const up = slave?.state === 'running';
  const lagging = up && (replication.lagBytes ?? 0) > 0;
  return (
    <Card
      title="Replication"
      titleId="replication-title"
      testId="replication-card"
      actions={
        slave ? (
          <span className={`inline-flex items-center gap-1.5 rounded-full px-2.5 py-0.5 text-sm font-semibold ring-1 ${STATE_BADGE[slave.state]}`}>
            <span className={`h-2 w-2 rounded-full ${STATE_DOT[slave.state]}`} aria-hidden="true" />
            <span className="sr-only">slave state: </span>
            <span data-testid="slave-state">{slave.state}</span>
          </span>
        ) : null
      }
    >
      {!slave || (slave.state === 'stopped' && !replication.promotion) ? (
        <p className="text-sm text-slate-500 dark:text-slate-400">No slave is running: a SEND_OK lives on the master alone.</p>
      ) : (
        <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
          <dt className="text-slate-500 dark:text-slate-400">slave</dt>
          <dd className="min-w-0 break-all">
            {slave.name}
            {slave.role ? <span className="text-slate-500 dark:text-slate-400"> · {slave.role}</span> : null}
            {slave.pid ? <span className="font-mono text-xs text-slate-500 dark:text-slate-400"> · pid {slave.pid}</span> : null}
          </dd>
          <dt className="text-slate-500 dark:text-slate-400">HA link</dt>
          <dd className="font-mono text-xs leading-5" data-testid="replication-connection">
            {replication.connectionState ?? 'UNKNOWN'}
          </dd>
          <dt className="text-slate-500 dark:text-slate-400">lag</dt>
          <dd className={`tabular-nums ${lagging ? 'text-amber-700 dark:text-amber-300' : ''}`} data-testid="replication-lag">
            {bytes(replication.lagBytes)} · {grouped(replication.lagMessages ?? 0)} msg · {ms(replication.lagMs)}
          </dd>
          {replication.promotion ? (
            <>
              <dt className="text-slate-500 dark:text-slate-400">promoted</dt>
              <dd>
                to {replication.promotion.brokerRole} at offset {grouped(replication.promotion.promotedAtOffset)}
              </dd>
            </>
          ) : null}
        </dl>
      )}
      {replication.divergence ? (
        <p role="status" className="mt-3 rounded-md bg-red-50 px-3 py-2 text-xs text-red-800 dark:bg-red-950/60 dark:text-red-200">
          Diverged: {replication.divergence.reason}. The slave needs a rebuild.
        </p>
      ) : null}
    </Card>
  );
}
