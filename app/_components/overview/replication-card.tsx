'use client';
/**
 * Replication: the slave process, the HA link's state and how far the slave is behind; and the
 * actions on them: start, stop and crash the slave, promote it to master, rebuild it, and delay or
 * cut the HA link (through the fault proxy) per direction.
 */
import { useState } from 'react';
import type { LiveState } from '@/server/live/types';
import { errorMessage, trpc } from '../../_lib/trpc';
import { bytes, grouped, ms } from '../../_lib/format';
import { Button } from '../ui/button';
import { Card } from '../ui/card';
import { RequestError } from '../ui/query-state';
import { StateBadge } from '../ui/state-badge';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { RoleHint } from '../auth/role-hint';
import { fieldIssues } from '../ui/field-errors';
import { useCan } from '../../_lib/session';

type Replication = NonNullable<LiveState['replication']>;
type Direction = 'upstream' | 'downstream';
type LinkDirection = Direction | 'both';
type MasterRole = 'SYNC_MASTER' | 'ASYNC_MASTER';
type RebuildMode = 'empty' | 'common-prefix';
type Confirm = 'kill' | 'promote' | 'rebuild' | null;

const DIRECTION_LABEL: Record<LinkDirection, string> = {
  both: 'both ways',
  downstream: 'master → slave',
  upstream: 'slave → master',
};

function faultText(f: { latencyMs: number; blackhole: boolean } | undefined): string {
  if (!f) return 'none';
  const parts = [f.blackhole ? 'blackholed' : '', f.latencyMs > 0 ? `+${f.latencyMs} ms` : ''].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

export function ReplicationCard({ replication }: { replication: Replication }) {
  const slave = replication.slave;
  const up = slave?.state === 'running';
  const alive = slave?.state === 'running' || slave?.state === 'starting';
  const down = !slave || slave.state === 'stopped' || slave.state === 'crashed';
  const promoted = Boolean(replication.promotion) || (slave ? slave.role !== 'SLAVE' : false);
  const lagging = up && (replication.lagBytes ?? 0) > 0;

  const utils = trpc.useUtils();
  const afterChange = () => {
    void utils.cluster.events.invalidate();
    void utils.cluster.state.invalidate();
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

  const [confirm, setConfirm] = useState<Confirm>(null);
  const canOperate = useCan('operator');
  const canDrill = useCan('drill');
  /** what to type to confirm a promotion or a rebuild: the node, by name and role */
  const slaveLabel = slave?.name ?? 'broker-a slave';
  const [role, setRole] = useState<MasterRole>('ASYNC_MASTER');
  const [mode, setMode] = useState<RebuildMode>('empty');
  const [direction, setDirection] = useState<LinkDirection>('both');
  const [delay, setDelay] = useState('200');

  const target = slave
    ? `${slave.name}${slave.pid ? ` (pid ${slave.pid}${slave.address ? `, ${slave.address}` : ''})` : ''}`
    : 'the slave';
  const commonPrefix = replication.masterHa?.promotedAtOffset;

  const promoteReason = !up ? 'start the slave first' : promoted ? `already promoted: it is the ${slave?.role} of the group` : null;
  const rebuildReason = promoted ? 'this node is the master since its promotion; restart the old master instead (it rejoins as a slave)' : null;
  const startReason = promoted ? 'promoted to master; restart the old master to rejoin as a slave' : null;

  const faults = replication.link?.faults;
  const dirs: Direction[] = direction === 'both' ? ['upstream', 'downstream'] : [direction];
  const blackholed = faults ? dirs.every((d) => faults[d]?.blackhole) : false;
  const anyFault = faults ? (['upstream', 'downstream'] as const).some((d) => faults[d]?.blackhole || (faults[d]?.latencyMs ?? 0) > 0) : false;
  const delayNumber = delay.trim() === '' ? Number.NaN : Number(delay);

  const runConfirmed = () => {
    const what = confirm;
    setConfirm(null);
    resetAll();
    if (what === 'kill') kill.mutate();
    else if (what === 'promote') promote.mutate({ brokerRole: role });
    else if (what === 'rebuild') rebuild.mutate({ mode });
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

      {/* HA link faults */}
      <fieldset className="mt-4 border-t border-slate-200 pt-3 dark:border-slate-800" aria-describedby="link-fault-now">
        <legend className="sr-only">HA link faults</legend>
        <div className="flex flex-wrap items-center justify-between gap-2">
          <p className="text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">HA link faults</p>
          {link.isPending ? <span className="text-xs text-slate-500 dark:text-slate-400">applying…</span> : null}
        </div>
        <p id="link-fault-now" className="mt-1 text-xs text-slate-600 dark:text-slate-400" data-testid="link-faults">
          master → slave: <span className="font-medium">{faultText(faults?.downstream)}</span> · slave → master:{' '}
          <span className="font-medium">{faultText(faults?.upstream)}</span>
          {replication.link ? ` · ${replication.link.connections} connection${replication.link.connections === 1 ? '' : 's'}` : ''}
        </p>
        <div role="group" aria-label="Direction" className="mt-2 grid grid-cols-3 gap-1 rounded-lg bg-slate-100 p-1 dark:bg-slate-800">
          {(['both', 'downstream', 'upstream'] as const).map((d) => (
            <button
              key={d}
              type="button"
              data-testid={`link-direction-${d}`}
              aria-pressed={direction === d}
              onClick={() => setDirection(d)}
              className={`rounded-md px-1.5 py-1 text-xs font-medium focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-emerald-500 ${
                direction === d
                  ? 'bg-white text-slate-900 shadow-sm dark:bg-slate-950 dark:text-white'
                  : 'text-slate-600 hover:bg-white/70 dark:text-slate-300 dark:hover:bg-slate-700'
              }`}
            >
              {DIRECTION_LABEL[d]}
            </button>
          ))}
        </div>
        <div className="mt-2 flex flex-wrap items-end gap-2">
          <label className="text-xs">
            <span className="font-medium">Delay</span> <span className="text-slate-500 dark:text-slate-400">(ms)</span>
            <input
              data-testid="link-delay"
              type="number"
              inputMode="numeric"
              min={0}
              max={60000}
              step={50}
              value={delay}
              onChange={(e) => setDelay(e.target.value)}
              aria-invalid={fieldIssues(link.error, ['latencyMs']).has('latencyMs') || undefined}
              className="mt-0.5 block w-24 rounded-md border border-slate-300 bg-white px-2 py-1 text-sm tabular-nums shadow-sm focus:border-emerald-500 focus:outline-none focus:ring-2 focus:ring-emerald-500/40 aria-[invalid=true]:border-red-500 dark:border-slate-700 dark:bg-slate-950"
            />
          </label>
          <Button
            data-testid="link-delay-apply"
            disabled={link.isPending || !canDrill.allowed}
            title={canDrill.reason}
            onClick={() => {
              resetAll();
              link.mutate({ direction, latencyMs: delayNumber });
            }}
          >
            Set delay
          </Button>
          <Button
            variant={blackholed ? 'danger' : 'secondary'}
            data-testid="link-blackhole"
            aria-pressed={blackholed}
            disabled={link.isPending || !canDrill.allowed}
            onClick={() => {
              resetAll();
              link.mutate({ direction, blackhole: !blackholed });
            }}
            title={canDrill.allowed ? 'Drop every byte on the link (the TCP connection stays open): a partition' : canDrill.reason}
          >
            {blackholed ? 'Blackholed' : 'Blackhole'}
          </Button>
          <Button
            variant="ghost"
            data-testid="link-clear"
            disabled={link.isPending || !anyFault || !canDrill.allowed}
            title={canDrill.reason}
            onClick={() => {
              resetAll();
              link.mutate({ direction: 'both', latencyMs: 0, blackhole: false });
            }}
          >
            Clear
          </Button>
        </div>
      </fieldset>

      {failed ? (
        <RequestError testId="replication-error">
          {errorMessage(failed.error)}
        </RequestError>
      ) : null}

      <ConfirmDialog open={confirm === 'kill'} title={`Crash ${slave?.name ?? 'the slave'}?`} confirmLabel="Send SIGKILL" onConfirm={runConfirmed} onCancel={() => setConfirm(null)}>
        <p>
          Sends <strong>SIGKILL</strong> to <strong>{target}</strong>. Under SYNC_MASTER, sends then answer SLAVE_NOT_AVAILABLE (or
          FLUSH_SLAVE_TIMEOUT while it is still in sync) until it is back.
        </p>
      </ConfirmDialog>
      <ConfirmDialog
        open={confirm === 'promote'}
        title={`Promote ${slave?.name ?? 'the slave'} to master?`}
        confirmLabel={`Promote to ${role}`}
        confirmText={slaveLabel}
        onConfirm={runConfirmed}
        onCancel={() => setConfirm(null)}
      >
        <p>
          Promotes <strong>{target}</strong> to the master of the group: it registers as brokerId 0 and producers follow it. Messages the slave
          had not received yet are not on it.
        </p>
        <div role="radiogroup" aria-label="Role after promotion" className="mt-3 grid grid-cols-2 gap-1 rounded-lg bg-slate-100 p-1 dark:bg-slate-800">
          {(['ASYNC_MASTER', 'SYNC_MASTER'] as const).map((r) => (
            <button
              key={r}
              type="button"
              role="radio"
              aria-checked={role === r}
              data-testid={`slave-promote-${r}`}
              onClick={() => setRole(r)}
              className={`rounded-md px-2 py-1 font-mono text-xs font-semibold ${
                role === r ? 'bg-white text-slate-900 shadow-sm dark:bg-slate-950 dark:text-white' : 'text-slate-600 dark:text-slate-300'
              }`}
            >
              {r}
            </button>
          ))}
        </div>
        <p className="mt-2 text-xs">The old master, when started again, truncates to the promotion offset and rejoins as a slave.</p>
      </ConfirmDialog>
      <ConfirmDialog
        open={confirm === 'rebuild'}
        title={`Rebuild ${slave?.name ?? 'the slave'}?`}
        confirmLabel="Rebuild"
        confirmText={slaveLabel}
        onConfirm={runConfirmed}
        onCancel={() => setConfirm(null)}
      >
        <p>
          Stops <strong>{target}</strong>, cuts its commit log, then lets it catch up from the master.
        </p>
        <div role="radiogroup" aria-label="Rebuild mode" className="mt-3 space-y-1.5">
          <label className="flex items-start gap-2">
            <input type="radio" name="rebuild-mode" checked={mode === 'empty'} onChange={() => setMode('empty')} className="mt-1 accent-emerald-600" />
            <span>
              <strong>empty</strong>: delete its store and copy everything again
            </span>
          </label>
          <label className={`flex items-start gap-2 ${commonPrefix === undefined ? 'opacity-50' : ''}`}>
            <input
              type="radio"
              name="rebuild-mode"
              checked={mode === 'common-prefix'}
              disabled={commonPrefix === undefined}
              onChange={() => setMode('common-prefix')}
              className="mt-1 accent-emerald-600"
            />
            <span>
              <strong>common prefix</strong>: cut to the last promotion offset
              {commonPrefix === undefined ? ' (none known: the master was never promoted from a slave)' : ` (${grouped(commonPrefix)})`}
            </span>
          </label>
        </div>
      </ConfirmDialog>
    </Card>
  );
}
