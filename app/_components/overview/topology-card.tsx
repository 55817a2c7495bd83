'use client';
/**
 * Topology: the cluster's broker groups side by side, each replica by identity (broker-a/0, …) with
 * the role it confirmed now, its process state, its commit log's end and fdatasync'd length and, for a
 * master, how far its slaves are behind; where the traffic runner's producer wrote, per group, and
 * the groups it avoids after slow or failed sends (sendLatencyFaultEnable); and the form that changes the shape (N groups × R replicas,
 * server/cluster/topology.ts), confirmed first since every broker restarts.
 */
import { useState } from 'react';
import type { LiveState, ProducerView } from '@/server/live/types';
import { MAX_GROUPS, MAX_REPLICAS, describeTopology } from '@/server/cluster/topology';
import { errorMessage, trpc } from '../../_lib/trpc';
import { useClusterRefresh } from '../../_lib/use-cluster-state';
import { bytes, grouped, ms } from '../../_lib/format';
import { useCan } from '../../_lib/session';
import { Button } from '../ui/button';
import { Card } from '../ui/card';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { RequestError } from '../ui/query-state';
import { StateBadge } from '../ui/state-badge';
import { RoleHint } from '../auth/role-hint';

type TopologyState = LiveState['topology'];

const ROLE_STYLE: Record<string, string> = {
  SLAVE: 'bg-slate-100 text-slate-700 ring-slate-300 dark:bg-slate-800 dark:text-slate-200 dark:ring-slate-600',
  SYNC_MASTER: 'bg-emerald-50 text-emerald-800 ring-emerald-300 dark:bg-emerald-950/60 dark:text-emerald-200 dark:ring-emerald-700',
  ASYNC_MASTER: 'bg-amber-50 text-amber-800 ring-amber-300 dark:bg-amber-950/60 dark:text-amber-200 dark:ring-amber-700',
};

export function TopologyCard({ topology, producer }: { topology: TopologyState; producer?: ProducerView }) {
  const current = { groups: topology.groups.length, replicas: topology.replicas };
  const [groups, setGroups] = useState(current.groups);
  const [replicas, setReplicas] = useState(current.replicas);
  const [confirming, setConfirming] = useState(false);
  const refresh = useClusterRefresh();
  const utils = trpc.useUtils();
  const change = trpc.cluster.setTopology.useMutation({
    onSettled: () => {
      refresh();
      // the drills run on one group of master + slave only
      void utils.drills.catalog.invalidate();
    },
  });
  const canOperate = useCan('operator');
  const unchanged = groups === current.groups && replicas === current.replicas;

  return (
    <Card title="Topology" titleId="topology-title" testId="topology-card" actions={<span className="text-xs text-slate-500 dark:text-slate-400" data-testid="topology-shape">{describeTopology(current)}</span>}>
      {topology.controllerMode ? (
        <p className="mb-3 text-xs text-slate-600 dark:text-slate-400" data-testid="topology-controller">
          Controller mode: the controller {topology.controller?.address ? <span className="font-mono">{topology.controller.address}</span> : null} is {topology.controller?.status.state ?? 'stopped'}
          {topology.controller?.settings ? <> · enableElectUncleanMaster={String(topology.controller.settings.enableElectUncleanMaster)}</> : null}. It elects each group&apos;s master; the lab promotes no one.
        </p>
      ) : null}
      <div className="grid gap-3 md:grid-cols-2 xl:grid-cols-4">
        {topology.groups.map((g) => (
          <section key={g.brokerName} aria-label={`group ${g.brokerName}`} data-testid={`group-${g.brokerName}`} className="rounded-lg border border-slate-200 p-3 dark:border-slate-800">
            <h3 className="mb-2 flex items-center justify-between text-sm font-semibold">
              {g.brokerName}
              {g.linkFaulted ? <span className="text-xs font-normal text-amber-700 dark:text-amber-300">HA link faulted</span> : null}
            </h3>
            <ul className="grid gap-2">
              {g.replicas.map((r) => (
                <li key={r.name} className="grid gap-0.5 text-xs" data-testid={`replica-${r.name}`}>
                  <div className="flex flex-wrap items-center gap-1.5">
                    <span className="font-mono text-sm">{r.name}</span>
                    <span className={`rounded px-1.5 py-0.5 font-semibold ring-1 ${ROLE_STYLE[r.role] ?? ROLE_STYLE.SLAVE}`} data-testid={`replica-role-${r.name}`}>
                      {r.role}
                    </span>
                    <StateBadge state={r.state} small srPrefix={`${r.name} state: `} testId={`replica-state-${r.name}`} />
                    {r.settings === 'drift' ? <span className="text-red-700 dark:text-red-300">settings drift</span> : null}
                    {topology.controllerMode && r.state === 'running' ? <IsolateButton replica={r.name} isolated={r.isolated ?? false} /> : null}
                  </div>
                  {r.isolated ? (
                    <div className="text-amber-700 dark:text-amber-300" data-testid={`replica-isolated-${r.name}`}>
                      isolated: cut from its peers and the controller, both ways; its producers and consumers still reach it
                    </div>
                  ) : null}
                  <div className="tabular-nums text-slate-600 dark:text-slate-400">
                    {r.address ? <span className="font-mono">{r.address}</span> : <span>down</span>}
                    {r.maxPhyOffset !== undefined ? <> · log {grouped(r.maxPhyOffset)} · flushed {grouped(r.flushedPhyOffset ?? 0)}</> : null}
                  </div>
                  {r.role !== 'SLAVE' && r.slaveConnections !== undefined && current.replicas > 1 ? (
                    <div className={`tabular-nums ${(r.lagBytes ?? 0) > 0 ? 'text-amber-700 dark:text-amber-300' : 'text-slate-600 dark:text-slate-400'}`}>
                      {r.slaveConnections} slave{r.slaveConnections === 1 ? '' : 's'} connected · lag {bytes(r.lagBytes ?? 0)}
                    </div>
                  ) : null}
                  {r.role === 'SLAVE' && r.state === 'running' ? (
                    <div className="tabular-nums text-slate-600 dark:text-slate-400">
                      {r.connectionState ?? 'UNKNOWN'}{r.ackOffset !== undefined && r.ackOffset >= 0 ? <> · acked {grouped(r.ackOffset)}</> : null}
                    </div>
                  ) : null}
                  {r.diverged ? <div className="text-red-700 dark:text-red-300">diverged from its master: refuses to merge, needs a rebuild</div> : null}
                  {r.controller && r.state === 'running' ? (
                    <div className="tabular-nums text-slate-600 dark:text-slate-400" data-testid={`replica-controller-${r.name}`}>
                      {r.controller.role === 'FENCED' ? 'fenced: no master named yet' : `epoch ${r.controller.masterEpoch}`}
                      {g.controller?.syncStateSet.includes(r.name) ? ' · in SyncStateSet' : ''}
                      {r.truncationRestarts ? ` · cut its log ${r.truncationRestarts}×` : ''}
                    </div>
                  ) : null}
                </li>
              ))}
            </ul>
            {topology.controllerMode ? (
              <p className="mt-2 text-xs text-slate-600 dark:text-slate-400" data-testid={`group-controller-${g.brokerName}`}>
                {g.controller
                  ? <>master {g.master} · epoch {g.controller.masterEpoch} · SyncStateSet {'{'}{g.controller.syncStateSet.join(', ')}{'}'} · confirm offset {grouped(g.controller.confirmOffset)}</>
                  : 'no master: the controller has not elected one'}
              </p>
            ) : null}
            {g.promotion ? (
              <p className="mt-2 text-xs text-slate-600 dark:text-slate-400">
                master {g.master} since a promotion at offset {grouped(g.promotion.promotedAtOffset)}
              </p>
            ) : null}
          </section>
        ))}
      </div>

      {producer && Object.keys(producer.answeredBy).length > 0 ? <ProducerAcrossGroups producer={producer} /> : null}

      <form
        className="mt-4 flex flex-wrap items-end gap-3 text-sm"
        onSubmit={(e) => {
          e.preventDefault();
          setConfirming(true);
        }}
      >
        <label className="grid gap-1">
          <span className="text-xs text-slate-600 dark:text-slate-400">groups</span>
          <select data-testid="topology-groups" value={groups} onChange={(e) => setGroups(Number(e.target.value))} className="rounded-md border border-slate-300 bg-white px-2 py-1 dark:border-slate-700 dark:bg-slate-900">
            {Array.from({ length: MAX_GROUPS }, (_, i) => i + 1).map((n) => <option key={n} value={n}>{n}</option>)}
          </select>
        </label>
        <label className="grid gap-1">
          <span className="text-xs text-slate-600 dark:text-slate-400">replicas per group</span>
          <select data-testid="topology-replicas" value={replicas} onChange={(e) => setReplicas(Number(e.target.value))} className="rounded-md border border-slate-300 bg-white px-2 py-1 dark:border-slate-700 dark:bg-slate-900">
            {Array.from({ length: MAX_REPLICAS }, (_, i) => i + 1).map((n) => <option key={n} value={n}>{n === 1 ? '1 (master alone)' : n === 2 ? '2 (master + slave)' : `${n} (master + ${n - 1} slaves)`}</option>)}
          </select>
        </label>
        <Button type="submit" variant="primary" data-testid="topology-apply" disabled={unchanged || !canOperate.allowed} title={canOperate.reason} busy={change.isPending}>
          Apply
        </Button>
        {change.isPending ? <span role="status" className="text-xs text-slate-600 dark:text-slate-400">restarting every broker…</span> : null}
      </form>
      <RoleHint can={canOperate} what="Changing the topology" testId="topology-role-hint" />
      {change.isError ? <RequestError testId="topology-error">{errorMessage(change.error)}</RequestError> : null}

      <ConfirmDialog
        open={confirming}
        title="Change the topology"
        confirmLabel="Restart the cluster"
        onCancel={() => setConfirming(false)}
        onConfirm={() => {
          setConfirming(false);
          change.reset();
          change.mutate({ groups, replicas });
        }}
      >
        <p>
          Every broker stops cleanly and the cluster starts again as {describeTopology({ groups, replicas })}. Stores of the replicas that remain are kept;
          traffic and consumers keep running and find the new groups through the name server. The drills run on one group of master + slave only.
        </p>
      </ConfirmDialog>
    </Card>
  );
}

/**
 * Controller mode: cut one replica from the other replicas and the controller (not from its clients),
 * as apache/rocketmq#7017's partition does, or reconnect it. What happens next is on the card: an
 * election, two replicas saying they are master for a while, a cut log when it is reconnected.
 */
function IsolateButton({ replica, isolated }: { replica: string; isolated: boolean }) {
  const refresh = useClusterRefresh();
  const canDrill = useCan('drill');
  const isolate = trpc.cluster.isolateReplica.useMutation({ onSettled: refresh });
  return (
    <>
      <Button
        className="ml-auto px-2 py-0.5 text-xs"
        data-testid={`replica-isolate-${replica}`}
        disabled={!canDrill.allowed}
        title={canDrill.allowed ? (isolated ? `reconnect ${replica} to its peers and the controller` : `cut ${replica} from its peers and the controller; its clients still reach it`) : canDrill.reason}
        busy={isolate.isPending}
        onClick={() => isolate.mutate({ replica, isolated: !isolated })}
      >
        {isolated ? 'Reconnect' : 'Isolate'}
      </Button>
      {isolate.error ? <RequestError className="mt-1 w-full" testId={`replica-isolate-error-${replica}`}>{errorMessage(isolate.error)}</RequestError> : null}
    </>
  );
}

/** Where the producer's sends were answered, per group, and the groups it keeps out of its choice now. */
function ProducerAcrossGroups({ producer }: { producer: ProducerView }) {
  const total = Object.values(producer.answeredBy).reduce((a, b) => a + b, 0);
  return (
    <div className="mt-3 text-xs text-slate-600 dark:text-slate-400" data-testid="topology-producer">
      <p>
        Producer answered by{' '}
        {Object.entries(producer.answeredBy).sort(([a], [b]) => a.localeCompare(b)).map(([group, n], i) => (
          <span key={group}>{i > 0 ? ', ' : ''}<span className="font-mono">{group}</span> {grouped(n)} ({Math.round((100 * n) / Math.max(1, total))}%)</span>
        ))}
      </p>
      {producer.avoided.length > 0 ? (
        <p className="text-amber-700 dark:text-amber-300" data-testid="topology-avoided">
          Avoiding{' '}
          {producer.avoided.map((a, i) => (
            <span key={a.brokerName}>{i > 0 ? ', ' : ''}<span className="font-mono">{a.brokerName}</span> ({a.currentLatencyMs >= 30_000 ? 'failed' : `${ms(a.currentLatencyMs)} answer`}, back in {ms(a.backInMs)})</span>
          ))}
          {' '}— sendLatencyFaultEnable
        </p>
      ) : null}
    </div>
  );
}
