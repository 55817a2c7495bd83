'use client';
/**
 * Replication: the slave process, the HA link's state and how far the slave is behind; and the
 * actions on them: start, stop and crash the slave, promote it to master, rebuild it (each
 * destructive one confirmed in ./slave-dialogs.tsx), and delay or cut the HA link through the fault
 * proxy (./link-faults.tsx). Every action's refusal shows in one place at the bottom of the card.
 */
import { useState } from 'react';
import type { LiveState } from '@/server/live/types';
import { errorMessage, trpc } from '../../_lib/trpc';
import { useClusterRefresh } from '../../_lib/use-cluster-state';
import { bytes, grouped, ms } from '../../_lib/format';
import { Button } from '../ui/button';
import { Card } from '../ui/card';
import { RequestError } from '../ui/query-state';
import { StateBadge } from '../ui/state-badge';
import { RoleHint } from '../auth/role-hint';
import { useCan } from '../../_lib/session';
import { LinkFaults } from './link-faults';
import { SlaveDialogs, type SlaveAction } from './slave-dialogs';

type Replication = NonNullable<LiveState['replication']>;

export function ReplicationCard({ replication }: { replication: Replication }) {
  const slave = replication.slave;
  const up = slave?.state === 'running';
  const alive = slave?.state === 'running' || slave?.state === 'starting';
  const down = !slave || slave.state === 'stopped' || slave.state === 'crashed';
  const promoted = Boolean(replication.promotion) || (slave ? slave.role !== 'SLAVE' : false);
  const lagging = up && (replication.lagBytes ?? 0) > 0;

  const utils = trpc.useUtils();
  const refresh = useClusterRefresh();
  // a slave's state decides which drills can run
  const afterChange = () => {
    refresh();
    void utils.drills.catalog.invalidate();
  };
  const start = trpc.cluster.startSlave.useMutation({ onSettled: afterChange });
  const stop = trpc.cluster.stopSlave.useMutation({ onSettled: afterChange });
  const kill = trpc.cluster.killSlave.useMutation({ onSettled: afterChange });
  const promote = trpc.cluster.promoteSlave.useMutation({ onSettled: afterChange });
  const rebuild = trpc.cluster.rebuildSlave.useMutation({ onSettled: afterChange });
  const link = trpc.cluster.setLinkFault.useMutation({ onSettled: afterChange });
  const mutations = [start, stop, kill, promote, rebuild, link];
  const failed = mutations.find((m) => m.isError);
  const resetAll = () => mutations.forEach((m) => m.reset());

  const [confirm, setConfirm] = useState<SlaveAction | null>(null);
  const canOperate = useCan('operator');
  const canDrill = useCan('drill');
  /** what to type to confirm a promotion or a rebuild: the node, by name and role */
  const slaveLabel = slave?.name ?? 'broker-a slave';

  const target = slave
    ? `${slave.name}${slave.pid ? ` (pid ${slave.pid}${slave.address ? `, ${slave.address}` : ''})` : ''}`
    : 'the slave';

  const promoteReason = !up ? 'start the slave first' : promoted ? `already promoted: it is the ${slave?.role} of the group` : null;
  const rebuildReason = promoted ? 'this node is the master since its promotion; restart the old master instead (it rejoins as a slave)' : null;
  const startReason = promoted ? 'promoted to master; restart the old master to rejoin as a slave' : null;

  /** a confirmed action: the dialog closes, earlier errors clear, the action runs */
  const run = (action: () => void) => {
    setConfirm(null);
    resetAll();
    action();
  };

  return (
    <Card
      title="Replication"
      titleId="replication-title"
      testId="replication-card"
      actions={
        slave ? <StateBadge state={slave.state} srPrefix="slave state: " testId="slave-state" /> : null
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

      {/* slave process */}
      <div className="mt-4 flex flex-wrap gap-2">
        <Button
          variant="primary"
          data-testid="slave-start"
          disabled={!down || Boolean(startReason) || !canOperate.allowed}
          title={startReason ?? canOperate.reason}
          busy={start.isPending}
          onClick={() => {
            resetAll();
            start.mutate();
          }}
        >
          {slave?.state === 'crashed' ? 'Restart slave' : 'Start slave'}
        </Button>
        <Button
          data-testid="slave-stop"
          disabled={!alive || !canOperate.allowed}
          title={canOperate.reason}
          busy={stop.isPending}
          onClick={() => {
            resetAll();
            stop.mutate();
          }}
        >
          Stop
        </Button>
        <Button variant="danger" data-testid="slave-kill" disabled={!alive || !canDrill.allowed} title={canDrill.reason} busy={kill.isPending} onClick={() => setConfirm('kill')}>
          Crash
        </Button>
        <Button
          data-testid="slave-promote"
          disabled={Boolean(promoteReason) || !canDrill.allowed}
          title={promoteReason ?? canDrill.reason}
          busy={promote.isPending}
          onClick={() => setConfirm('promote')}
        >
          Promote…
        </Button>
        <Button
          data-testid="slave-rebuild"
          disabled={Boolean(rebuildReason) || rebuild.isPending || !canDrill.allowed}
          title={rebuildReason ?? canDrill.reason}
          busy={rebuild.isPending}
          onClick={() => setConfirm('rebuild')}
        >
          Rebuild…
        </Button>
      </div>
      {canOperate.allowed ? null : <RoleHint can={canOperate} what="Start and stop" testId="slave-role-hint-operator" />}
      <RoleHint can={canDrill} what="Crash, promote, rebuild and link faults" testId="slave-role-hint" />
      {promoteReason || rebuildReason ? (
        <p className="mt-1.5 text-xs text-slate-500 dark:text-slate-400" data-testid="slave-action-reason">
          {promoteReason ? <>Promote: {promoteReason}. </> : null}
          {rebuildReason ? <>Rebuild: {rebuildReason}.</> : null}
        </p>
      ) : null}

      <LinkFaults replication={replication} link={link} resetAll={resetAll} canDrill={canDrill} />

      {failed ? (
        <RequestError testId="replication-error">
          {errorMessage(failed.error)}
        </RequestError>
      ) : null}

      <SlaveDialogs
        open={confirm}
        slaveName={slave?.name ?? 'the slave'}
        target={target}
        slaveLabel={slaveLabel}
        commonPrefix={replication.rebuildPrefix}
        onCancel={() => setConfirm(null)}
        onKill={() => run(() => kill.mutate())}
        onPromote={(brokerRole, confirm) => run(() => promote.mutate({ brokerRole, confirm }))}
        onRebuild={(mode, confirm) => run(() => rebuild.mutate({ mode, confirm }))}
      />
    </Card>
  );
}
