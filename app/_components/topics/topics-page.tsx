'use client';
/**
 * Topics & clients: the routed topics, creating one, the producer and consumer groups (your own
 * application's highlighted) and how to point a RocketMQ client at Zeroloss. Client groups come from
 * the live stream; while it is down, cluster.state is polled instead.
 */
import { trpc } from '../../_lib/trpc';
import { useClusterState } from '../../_lib/use-cluster-state';
import { ClientsCard, DrillYourApp } from './clients-card';
import { CreateTopicForm, TopicsCard } from './topics-card';

export function TopicsPage() {
  const { state } = useClusterState();
  const settings = trpc.settings.get.useQuery(undefined, { staleTime: 30_000 });
  const brokerRunning = state?.broker.state === 'running';

  return (
    <div className="grid gap-4">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Topics &amp; clients</h1>
        <p className="max-w-3xl text-sm text-slate-600 dark:text-slate-400">
          What the name server routes, who is producing and consuming, and how to bring your own RocketMQ application into the lab.
        </p>
      </div>
      <div className="grid gap-4 xl:grid-cols-3">
        <div className="min-w-0 xl:col-span-2">
          <TopicsCard brokerRunning={state === null ? true : brokerRunning} />
        </div>
        <div className="grid content-start gap-4 xl:col-span-1">
          <CreateTopicForm brokerRunning={state === null ? true : brokerRunning} defaultQueues={settings.data?.settings.defaultTopicQueueNums ?? 4} />
        </div>
      </div>
      <div className="grid gap-4 xl:grid-cols-3">
        <div className="min-w-0 xl:col-span-2">
          <ClientsCard clients={state?.clients ?? null} />
        </div>
        <DrillYourApp address={state?.namesrv?.address ?? null} />
      </div>
    </div>
  );
}
