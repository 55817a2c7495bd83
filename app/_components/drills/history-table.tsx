'use client';
/** Past runs, newest first, filtered by drill and verdict; every row links to its replay. */
import Link from 'next/link';
import { useId, useState } from 'react';
import type { DrillId, DrillSpecView, Verdict } from '@/server/drills/types';
import { clock, int } from '../../_lib/format';
import { errorMessage, trpc } from '../../_lib/trpc';
import { Button } from '../ui/button';
import { Card } from '../ui/card';
import { Skeleton } from '../ui/skeleton';
import { DRILL_IDS, Notice, RunStatusBadge, secs, VERDICTS, VerdictBadge } from './common';

function day(t: number): string {
  const d = new Date(t);
  const today = new Date();
  return d.toDateString() === today.toDateString() ? clock(t) : `${d.toISOString().slice(0, 10)} ${clock(t)}`;
}

export function HistoryTable({ catalog }: { catalog: DrillSpecView[] | undefined }) {
  const uid = useId();
  const [drillId, setDrillId] = useState<DrillId | ''>('');
  const [verdict, setVerdict] = useState<Verdict | ''>('');
  const history = trpc.drills.history.useQuery(
    { limit: 50, ...(drillId ? { drillId } : {}), ...(verdict ? { verdict } : {}) },
    { placeholderData: (prev) => prev },
  );
  const titleOf = (id: string) => catalog?.find((d) => d.id === id)?.title ?? id;
  const filtered = Boolean(drillId || verdict);

  return (
    <Card
      title="History"
      titleId="drill-history-title"
      testId="drill-history"
      actions={
        <div className="flex flex-wrap items-end gap-2 text-xs">
          <label htmlFor={`${uid}-drill`} className="grid gap-0.5">
            <span className="text-slate-500 dark:text-slate-400">Drill</span>
            <select
              id={`${uid}-drill`}
              data-testid="history-filter-drill"
              value={drillId}
              onChange={(e) => setDrillId(e.target.value as DrillId | '')}
              className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-950"
            >
              <option value="">all drills</option>
              {DRILL_IDS.map((id) => (
                <option key={id} value={id}>
                  {titleOf(id)}
                </option>
              ))}
            </select>
          </label>
          <label htmlFor={`${uid}-verdict`} className="grid gap-0.5">
            <span className="text-slate-500 dark:text-slate-400">Verdict</span>
            <select
              id={`${uid}-verdict`}
              data-testid="history-filter-verdict"
              value={verdict}
              onChange={(e) => setVerdict(e.target.value as Verdict | '')}
              className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-950"
            >
              <option value="">any verdict</option>
              {VERDICTS.map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
          </label>
          {filtered ? (
            <Button
              variant="ghost"
              onClick={() => {
                setDrillId('');
                setVerdict('');
              }}
            >
              Clear
            </Button>
          ) : null}
        </div>
      }
    >
      {history.isPending ? (
        <div className="grid gap-2" aria-busy="true" aria-label="Loading the history">
          <Skeleton className="h-8" />
          <Skeleton className="h-8" />
          <Skeleton className="h-8" />
        </div>
      ) : history.isError ? (
        <Notice tone="error" role="alert">
          Could not load the history: {errorMessage(history.error)}{' '}
          <button type="button" className="underline" onClick={() => history.refetch()}>
            Retry
          </button>
        </Notice>
      ) : history.data.length === 0 ? (
        <p className="py-6 text-center text-sm text-slate-600 dark:text-slate-400">
          {filtered ? 'No run matches these filters.' : 'No drill has run yet. Pick one above and press Run.'}
        </p>
      ) : (
        <div className="relative -mx-4 overflow-x-auto px-4">
          <table className="w-full min-w-[44rem] text-sm" aria-describedby="drill-history-title">
            <thead>
              <tr className="border-b border-slate-200 text-left text-xs text-slate-500 dark:border-slate-800 dark:text-slate-400">
                <th scope="col" className="py-1.5 pr-3 font-medium">Started</th>
                <th scope="col" className="py-1.5 pr-3 font-medium">Drill</th>
                <th scope="col" className="py-1.5 pr-3 font-medium">Settings</th>
                <th scope="col" className="py-1.5 pr-3 font-medium">Result</th>
                <th scope="col" className="py-1.5 pr-3 text-right font-medium">attempted</th>
                <th scope="col" className="py-1.5 pr-3 text-right font-medium">lost SEND_OK</th>
                <th scope="col" className="py-1.5 pr-3 text-right font-medium">lost</th>
                <th scope="col" className="py-1.5 pr-3 text-right font-medium">dup</th>
                <th scope="col" className="py-1.5 pr-3 text-right font-medium">RTO</th>
                <th scope="col" className="py-1.5 font-medium">
                  <span className="sr-only">Replay</span>
                </th>
              </tr>
            </thead>
            <tbody className={history.isFetching && history.isPlaceholderData ? 'opacity-60' : ''}>
              {history.data.map((run) => (
                <tr key={run.runId} data-testid={`history-row-${run.runId}`} className="border-b border-slate-100 align-top last:border-0 hover:bg-slate-50 dark:border-slate-800/60 dark:hover:bg-slate-800/40">
                  <td className="whitespace-nowrap py-1.5 pr-3 font-mono text-xs tabular-nums">{day(run.startedAt)}</td>
                  <td className="py-1.5 pr-3">
                    <Link href={`/drills/${run.runId}`} className="font-medium hover:underline focus-visible:outline-2 focus-visible:outline-emerald-500">
                      {run.title}
                    </Link>
                    <div className="font-mono text-[11px] text-slate-500 dark:text-slate-400">{run.runId}</div>
                  </td>
                  <td className="py-1.5 pr-3 font-mono text-[11px] leading-tight text-slate-600 dark:text-slate-300">
                    {run.settings.broker.flushDiskType} · {run.settings.broker.brokerRole}
                    <br />
                    {run.settings.traffic.sendMode} · {run.settings.traffic.ackMode}
                    {run.settings.traffic.idempotent ? ' · idempotent' : ''}
                    {run.input.labBug ? (
                      <>
                        <br />
                        <span className="text-amber-700 dark:text-amber-300">bug {run.input.labBug}</span>
                      </>
                    ) : null}
                  </td>
                  <td className="py-1.5 pr-3">{run.verdict ? <VerdictBadge verdict={run.verdict} /> : <RunStatusBadge status={run.status} />}</td>
                  <td className="py-1.5 pr-3 text-right font-mono tabular-nums">{run.summary ? int(run.summary.attempted) : '–'}</td>
                  <td className={`py-1.5 pr-3 text-right font-mono font-semibold tabular-nums ${run.summary && run.summary.lostAcked > 0 ? 'text-red-700 dark:text-red-300' : ''}`}>
                    {run.summary ? int(run.summary.lostAcked) : '–'}
                  </td>
                  <td className="py-1.5 pr-3 text-right font-mono tabular-nums">{run.summary ? int(run.summary.lostTotal) : '–'}</td>
                  <td className="py-1.5 pr-3 text-right font-mono tabular-nums">{run.summary ? int(run.summary.duplicated) : '–'}</td>
                  <td className="py-1.5 pr-3 text-right font-mono tabular-nums">{run.summary?.recovery.rtoMs != null ? secs(run.summary.recovery.rtoMs) : '–'}</td>
                  <td className="py-1.5 text-right">
                    <Link
                      href={`/drills/${run.runId}`}
                      aria-label={`Replay ${run.title} (${run.runId})`}
                      className="whitespace-nowrap rounded-md px-2 py-1 text-xs font-medium text-sky-700 hover:bg-sky-50 focus-visible:outline-2 focus-visible:outline-emerald-500 dark:text-sky-300 dark:hover:bg-sky-950"
                    >
                      Replay →
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
