'use client';
/** The latest tracked messages (messages.recent) with a filter; a row's id fills the search. */
import { useState } from 'react';
import { trpc } from '../../_lib/trpc';
import { ago } from '../../_lib/format';
import { Card } from '../ui/card';
import { STAGE_LABEL, type MessageView } from './format';
import { EmptyNote, LoadError, LoadingRows } from '../ui/query-state';

type Filter = 'all' | 'lost' | 'not-consumed' | 'dlq';
const FILTERS: { value: Filter; label: string }[] = [
  { value: 'all', label: 'All' },
  { value: 'lost', label: 'Lost (cut by a power loss, never consumed)' },
  { value: 'not-consumed', label: 'Not consumed yet' },
  { value: 'dlq', label: 'In the dead-letter queue' },
];

const EMPTY: Record<Filter, string> = {
  all: 'No messages tracked yet. Start traffic (and consumers) and they appear here.',
  lost: 'No lost messages: nothing acknowledged or stored was cut by a power loss.',
  'not-consumed': 'Every tracked message has been consumed or moved to the DLQ.',
  dlq: 'No message has been moved to a dead-letter queue.',
};

export function RecentMessages({ onPick }: { onPick: (id: string) => void }) {
  const [filter, setFilter] = useState<Filter>('all');
  const recent = trpc.messages.recent.useQuery({ limit: 50, filter }, { refetchInterval: 2000 });

  return (
    <Card
      title="Recent messages"
      titleId="recent-messages-title"
      testId="recent-messages"
      actions={
        <label className="inline-flex min-w-0 max-w-full items-center gap-2 text-xs text-slate-600 dark:text-slate-300">
          Show
          <select
            data-testid="recent-messages-filter"
            value={filter}
            onChange={(e) => setFilter(e.target.value as Filter)}
            className="w-44 max-w-full rounded-md border border-slate-300 bg-white px-2 py-1 text-sm sm:w-auto dark:border-slate-700 dark:bg-slate-900"
          >
            {FILTERS.map((f) => (
              <option key={f.value} value={f.value}>{f.label}</option>
            ))}
          </select>
        </label>
      }
    >
      {recent.isPending ? (
        <LoadingRows label="Loading recent messages" />
      ) : recent.isError ? (
        <LoadError error={recent.error} onRetry={() => void recent.refetch()} />
      ) : recent.data.messages.length === 0 ? (
        <EmptyNote testId="recent-messages-empty">{EMPTY[filter]}</EmptyNote>
      ) : (
        <div className="relative -mx-4 overflow-x-auto px-4">
          <table className="w-full min-w-[40rem] border-collapse text-left text-sm">
            <caption className="sr-only">The latest tracked messages, newest first</caption>
            <thead>
              <tr className="border-b border-slate-200 text-[11px] uppercase tracking-wide text-slate-500 dark:border-slate-800 dark:text-slate-400">
                <th scope="col" className="py-1.5 pr-3 font-semibold">UNIQ_KEY</th>
                <th scope="col" className="py-1.5 pr-3 font-semibold">Send status</th>
                <th scope="col" className="py-1.5 pr-3 font-semibold">Highest stage</th>
                <th scope="col" className="py-1.5 pr-3 text-right font-semibold">Deliveries</th>
                <th scope="col" className="py-1.5 font-semibold">Updated</th>
              </tr>
            </thead>
            <tbody>
              {recent.data.messages.map((m) => (
                <tr key={m.id} className="border-b border-slate-100 last:border-0 dark:border-slate-800/60">
                  <td className="py-1.5 pr-3">
                    <button
                      type="button"
                      onClick={() => onPick(m.id)}
                      className="rounded font-mono text-xs text-emerald-700 underline-offset-2 hover:underline focus-visible:outline-2 focus-visible:outline-emerald-500 dark:text-emerald-300"
                      title="Look this message up"
                    >
                      {m.id}
                    </button>
                  </td>
                  <td className="py-1.5 pr-3 text-xs">{m.send?.status ?? '–'}</td>
                  <td className="py-1.5 pr-3 text-xs"><HighestStage message={m} /></td>
                  <td className="py-1.5 pr-3 text-right tabular-nums">{m.deliveryCount}</td>
                  <td className="py-1.5 text-xs text-slate-500 dark:text-slate-400">{ago(m.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="mt-2 text-xs text-slate-500 dark:text-slate-400">{recent.data.tracked} messages tracked (the newest 100 000 are kept).</p>
        </div>
      )}
    </Card>
  );
}

function HighestStage({ message }: { message: MessageView }) {
  if (message.cutAt !== null && message.consumedAt === null) return <span className="font-semibold text-red-700 dark:text-red-300">cut by a power loss</span>;
  if (message.dlqAt !== null) return <span className="font-semibold text-red-700 dark:text-red-300">DLQ</span>;
  const reached = message.ladder.filter((s) => s.atMs !== null);
  const last = reached[reached.length - 1];
  return <span>{last ? STAGE_LABEL[last.stage] : '–'} <span className="text-slate-600 dark:text-slate-400">({reached.length}/{message.ladder.length})</span></span>;
}
