'use client';
/**
 * Messages that carried a key (messages.byKey): from the lab's key index and a bounded scan of the
 * broker's queues (newest messages first). A row opens the message's durability ladder when the lab
 * tracked it; otherwise it shows where the broker stores it.
 */
import { trpc } from '../../_lib/trpc';
import { Card } from '../ui/card';
import { stamp } from './format';
import { LoadError, LoadingRows } from '../ui/query-state';

export function KeyResults({ searchKey, onPick }: { searchKey: string; onPick(id: string): void }) {
  const query = trpc.messages.byKey.useQuery({ key: searchKey }, { retry: false });
  if (query.isPending) {
    return <LoadingRows label="Searching the key" rows={['h-8', 'h-24']} />;
  }
  if (query.isError) {
    return <LoadError error={query.error} onRetry={() => void query.refetch()} />;
  }
  const data = query.data;
  const coverage = data.scanSkipped ? `The broker was not scanned (${data.scanSkipped}): only keys the lab sent were searched` : `${data.scanned} stored message${data.scanned === 1 ? '' : 's'} in ${data.queuesScanned} queue${data.queuesScanned === 1 ? '' : 's'} scanned${
    data.complete ? ' (every stored message)' : ' (the newest of each queue only: older messages of external producers may be missed)'
  }`;
  return (
    <Card title={`Messages with key ${searchKey}`} titleId="key-results-title" testId="key-results">
      {data.matches.length === 0 ? (
        <div data-testid="key-not-found" role="status" className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950/60 dark:text-amber-200">
          <p className="font-medium">No message with key {searchKey}.</p>
          <p>{coverage}.</p>
        </div>
      ) : (
        <div className="relative -mx-4 overflow-x-auto px-4">
          <table className="w-full min-w-[40rem] border-collapse text-left text-sm">
            <caption className="sr-only">Messages whose KEYS contain {searchKey}, newest first</caption>
            <thead>
              <tr className="border-b border-slate-200 text-[11px] uppercase tracking-wide text-slate-600 dark:border-slate-800 dark:text-slate-400">
                <th scope="col" className="py-1.5 pr-3 font-semibold">UNIQ_KEY</th>
                <th scope="col" className="py-1.5 pr-3 font-semibold">Topic / queue @ offset</th>
                <th scope="col" className="py-1.5 pr-3 font-semibold">Stored</th>
                <th scope="col" className="py-1.5 pr-3 font-semibold">KEYS</th>
                <th scope="col" className="py-1.5 font-semibold">Found by</th>
              </tr>
            </thead>
            <tbody>
              {data.matches.map((m) => (
                <tr key={m.msgId} data-testid="key-match" className="border-b border-slate-100 last:border-0 dark:border-slate-800/60">
                  <td className="py-1.5 pr-3">
                    {m.tracked ? (
                      <button
                        type="button"
                        onClick={() => onPick(m.msgId)}
                        className="rounded font-mono text-xs text-emerald-700 underline underline-offset-2 focus-visible:outline-2 focus-visible:outline-emerald-500 dark:text-emerald-300"
                      >
                        {m.msgId}
                        <span className="sr-only"> — open its durability ladder</span>
                      </button>
                    ) : (
                      <span className="font-mono text-xs" title="Not tracked by the lab (an external producer, or sent before this server started)">{m.msgId}</span>
                    )}
                  </td>
                  <td className="py-1.5 pr-3 font-mono text-xs">
                    {m.topic ?? '–'} / {m.queueId ?? '–'} @ {m.queueOffset ?? '–'}
                  </td>
                  <td className="py-1.5 pr-3 font-mono text-xs">{m.storeTimestamp !== null ? stamp(m.storeTimestamp) : '–'}</td>
                  <td className="py-1.5 pr-3 font-mono text-xs" data-testid="key-match-keys">{m.keys ?? '–'}</td>
                  <td className="py-1.5 text-xs">{m.foundBy.join(' + ')}{m.storedCopies > 1 ? ` · ${m.storedCopies} stored copies` : ''}{m.tracked ? '' : ' · untracked'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="mt-2 text-xs text-slate-600 dark:text-slate-400">
            {data.truncated ? 'Showing the newest 50 matches. ' : ''}
            {coverage}. The broker keeps no key index (RocketMQ&apos;s QUERY_MESSAGE reads one): keys the lab sent are remembered, others are found by this scan.
          </p>
        </div>
      )}
    </Card>
  );
}
