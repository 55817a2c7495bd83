'use client';
/**
 * The Traffic page: the test producer (rate, size, count, topic, KEYS pattern, send mode), the
 * consumer fleet (count, ack mode, idempotence, failures), and "publish one test message" with its
 * SendResult. State comes from the live stream, polled over HTTP while the stream is down.
 */
import { ConsumersPanel } from '../overview/consumers-panel';
import { LiveBanner } from '../overview/live-banner';
import { TrafficPanel } from '../overview/traffic-panel';
import { LoadError } from '../ui/query-state';
import { Skeleton } from '../ui/skeleton';
import { PublishCard } from './publish-card';
import { TargetCard, TargetNote } from './target-card';
import { useClusterState } from '../../_lib/use-cluster-state';

export function TrafficPage() {
  const { live, state, error, refetch } = useClusterState();
  return (
    <div className="grid gap-4">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Traffic</h1>
        <p className="max-w-3xl text-sm text-slate-600 dark:text-slate-400">
          Push test traffic through the broker and consume it: choose the rate, the size, the KEYS each message carries and how the
          producer sends; how many consumers read it and when they ack. Or publish one message and read its SendResult.
        </p>
      </div>
      <LiveBanner live={live} />
      {state === null ? (
        error ? (
          <LoadError what="The cluster state could not be read" error={error} onRetry={refetch} />
        ) : (
          <div className="grid gap-4 lg:grid-cols-2" aria-busy="true" aria-label="Loading the cluster state">
            <Skeleton className="h-80" />
            <Skeleton className="h-80" />
            <Skeleton className="h-64 lg:col-span-2" />
          </div>
        )
      ) : (
        <div className="grid gap-4 lg:grid-cols-2">
          <TargetCard state={state} />
          <TargetNote state={state} />
          <TrafficPanel state={state} />
          <PublishCard state={state} />
          <ConsumersPanel state={state} className="lg:col-span-2" />
        </div>
      )}
    </div>
  );
}
