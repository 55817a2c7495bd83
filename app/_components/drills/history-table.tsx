'use client';
/** Past runs, newest first, filtered by drill and verdict; every row links to its replay. */
import Link from 'next/link';
import { useId, useState } from 'react';
import type { DrillId, DrillSpecView, Verdict } from '@/server/drills/types';
import { clock, int } from '../../_lib/format';
import { trpc } from '../../_lib/trpc';
import { Button } from '../ui/button';
import { Card } from '../ui/card';
import { EmptyNote, LoadError, LoadingRows } from '../ui/query-state';
import { DRILL_IDS, RunOutcomeBadge, secs, VERDICTS } from './common';

function day(t: number): string {
  const d = new Date(t);
  const today = new Date();
  return d.toDateString() === today.toDateString() ? clock(t) : `${d.toISOString().slice(0, 10)} ${clock(t)}`;
}

/** One filter of the history: a small labelled select. */
function FilterSelect<T extends string>({
  label,
  testId,
  value,
  onChange,
  options,
}: {
  label: string;
  testId: string;
  value: T;
  onChange(value: NoInfer<T>): void;
  options: { value: NoInfer<T>; label: string }[];
}) {
  const id = useId();
  return (
    <label htmlFor={id} className="grid gap-0.5">
      <span className="text-slate-500 dark:text-slate-400">{label}</span>
      <select
        id={id}
        data-testid={testId}
        value={value}
        onChange={(e) => onChange(e.target.value as T)}
        className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-950"
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

export function HistoryTable({ catalog }: { catalog: DrillSpecView[] | undefined }) {
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
          <FilterSelect
            label="Drill"
            testId="history-filter-drill"
            value={drillId}
            onChange={setDrillId}
            options={[{ value: '', label: 'all drills' }, ...DRILL_IDS.map((id) => ({ value: id, label: titleOf(id) }))]}
          />
          <FilterSelect
            label="Verdict"
            testId="history-filter-verdict"
            value={verdict}
            onChange={setVerdict}
            options={[{ value: '', label: 'any verdict' }, ...VERDICTS.map((v) => ({ value: v, label: v }))]}
          />
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
        <LoadingRows label="Loading the history" rowClassName="h-8" />
      ) : history.isError ? (
        <LoadError what="Could not load the history" error={history.error} onRetry={() => void history.refetch()} />
      ) : history.data.length === 0 ? (
        <EmptyNote>{filtered ? 'No run matches these filters.' : 'No drill has run yet. Pick one above and press Run.'}</EmptyNote>
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
                    {run.target ? (
                      <>
                        <br />
                        <span className="text-sky-700 dark:text-sky-300" data-testid={`history-target-${run.runId}`}>external {run.target.namesrv}</span>
                      </>
                    ) : null}
                  </td>
                  <td className="py-1.5 pr-3"><RunOutcomeBadge run={run} /></td>
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
