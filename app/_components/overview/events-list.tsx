'use client';
/**
 * The cluster's recent events (process start/crash, setting flips, faults, traffic), refetched when
 * the live stream's eventSeq says one was recorded, or every 2 s while the stream is down.
 */
import { useEffect, useRef } from 'react';
import { trpc, type RouterOutputs } from '../../_lib/trpc';
import { clock } from '../../_lib/format';
import { Card } from '../ui/card';
import { LoadError, LoadingRows } from '../ui/query-state';

type ClusterEvent = RouterOutputs['cluster']['events'][number];

function tone(kind: string): string {
  if (kind === 'process.crashed' || kind.startsWith('fault.')) return 'bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-200';
  if (kind.startsWith('settings.')) return 'bg-violet-100 text-violet-800 dark:bg-violet-950 dark:text-violet-200';
  if (kind === 'process.started') return 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200';
  if (kind.startsWith('traffic.')) return 'bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-200';
  return 'bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-200';
}

/**
 * connected: whether the live stream is up; eventSeq: the cluster state's eventSeq (from the parent's
 * useClusterState, so this list adds no poller of its own).
 */
export function EventsList({ connected, eventSeq }: { connected: boolean; eventSeq: number | undefined }) {
  // The live stream says when an event was recorded (eventSeq); only while it is down is the list polled.
  const events = trpc.cluster.events.useQuery({ limit: 40 }, { refetchInterval: connected ? false : 2000, refetchIntervalInBackground: false });
  const { refetch } = events;
  // The query fetches on mount by itself: refetch only when, while connected, eventSeq differs from the last one seen.
  const seenSeq = useRef(eventSeq);
  useEffect(() => {
    if (!connected || eventSeq === undefined || eventSeq === seenSeq.current) return;
    seenSeq.current = eventSeq;
    void refetch();
  }, [connected, eventSeq, refetch]);
  return (
    <Card
      title="Recent events"
      titleId="events-title"
      testId="events-card"
      actions={events.isFetching && !events.isPending ? <span className="text-xs text-slate-400">updating…</span> : null}
    >
      {events.isPending ? (
        <LoadingRows label="Loading events" rows={['h-5', 'h-5', 'h-5 w-2/3']} />
      ) : events.isError ? (
        <LoadError what="Could not load the events" error={events.error} onRetry={() => void events.refetch()} />
      ) : events.data.length === 0 ? (
        <p className="text-sm text-slate-500 dark:text-slate-400">Nothing happened yet.</p>
      ) : (
        <ol className="max-h-96 divide-y divide-slate-100 overflow-y-auto pr-1 text-sm dark:divide-slate-800" tabIndex={0} aria-labelledby="events-title">
          {events.data.map((event: ClusterEvent) => (
            <li key={event.id} className="flex flex-wrap items-baseline gap-x-2 gap-y-0.5 py-1.5">
              <time dateTime={new Date(event.at).toISOString()} className="font-mono text-xs tabular-nums text-slate-500 dark:text-slate-400">
                {clock(event.at)}
              </time>
              <span className={`rounded px-1.5 py-px font-mono text-[11px] ${tone(event.kind)}`}>{event.kind}</span>
              <span className="min-w-0 break-words">{event.message}</span>
            </li>
          ))}
        </ol>
      )}
    </Card>
  );
}
