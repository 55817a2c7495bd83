'use client';
/**
 * The Overview page: the broker, flushDiskType, traffic, consumers, counters, live charts and recent events.
 * State comes from the live stream; while it is down, cluster.state is polled instead.
 */
import { useClusterState } from '../../_lib/use-cluster-state';
import { Skeleton } from '../ui/skeleton';
import { BrokerCard } from './broker-card';
import { ConsumersPanel } from './consumers-panel';
import { Counters } from './counters';
import { EventsList } from './events-list';
import { FlushToggle } from './flush-toggle';
import { LiveBanner } from './live-banner';
import { TargetNote } from '../traffic/target-card';
import { LiveCharts } from './live-charts';
import { ReplicationCard } from './replication-card';
import { TopologyCard } from './topology-card';
import { TrafficPanel } from './traffic-panel';

export function Overview() {
  const { live, state } = useClusterState();

  return (
    <div className="grid gap-4">
      <div className="flex flex-wrap items-end justify-between gap-2">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Overview</h1>
          <p className="text-sm text-slate-600 dark:text-slate-400">
            Flip flushDiskType, push traffic through the broker, consume it, crash either side, and watch what is kept.
          </p>
        </div>
      </div>
      <LiveBanner live={live} />
      <TargetNote state={state} />

      {state === null ? (
        <OverviewSkeleton />
      ) : (
        <>
          <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-3">
            <BrokerCard state={state} unflushedBytes={live.latest?.unflushedBytes ?? null} />
            <FlushToggle current={state.nodes.find((n) => n.node === 'broker-a/0')?.running?.flushDiskType} saved={state.settings.flushDiskType} brokerRunning={state.broker.state === 'running'} />
            <TrafficPanel state={state} compact />
          </div>
          <div className="grid gap-4 xl:grid-cols-3">
            <ConsumersPanel state={state} className={state.replication?.slave ? 'xl:col-span-2' : 'xl:col-span-3'} />
            {state.replication?.slave ? <ReplicationCard replication={state.replication} /> : null}
          </div>
          <TopologyCard topology={state.topology} producer={state.traffic.producer} />
          <Counters state={state} latest={live.latest} />
          <LiveCharts history={live.history} markers={state.markers} now={state.t} hasTraffic={state.totals.sent > 0 || state.traffic.config !== undefined} />
          <EventsList connected={live.status === 'connected'} eventSeq={state.eventSeq} />
        </>
      )}
    </div>
  );
}

function OverviewSkeleton() {
  return (
    <div className="grid gap-4" aria-busy="true" aria-label="Loading the cluster state">
      <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-3">
        <Skeleton className="h-72" />
        <Skeleton className="h-72" />
        <Skeleton className="h-72" />
      </div>
      <Skeleton className="h-64" />
      <Skeleton className="h-40" />
      <div className="grid gap-4 lg:grid-cols-2">
        <Skeleton className="h-72" />
        <Skeleton className="h-72" />
        <Skeleton className="h-72" />
        <Skeleton className="h-72" />
      </div>
    </div>
  );
}
