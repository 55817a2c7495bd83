'use client';
/**
 * The per-message anomalies of a drill run (lost, duplicated, unexpected, sequence gaps), filtered by
 * kind and shown a page at a time, with what the producer was told and the last stage each reached.
 */
import { useId, useMemo, useState } from 'react';
import type { AnomalyKind } from '@/server/drills/types';
import { int } from '../../_lib/format';
import { Button } from '../ui/button';
import { Card } from '../ui/card';
import { EmptyNote } from '../ui/query-state';
import type { DrillRunDetail } from './common';

const KINDS: AnomalyKind[] = ['lost', 'duplicated', 'unexpected', 'gap'];
const PAGE = 50;

export function Anomalies({ run }: { run: DrillRunDetail }) {
  const uid = useId();
  const [kind, setKind] = useState<AnomalyKind | ''>('');
  const [limit, setLimit] = useState(PAGE);
  const counts = useMemo(() => {
    const c: Record<AnomalyKind, number> = { lost: 0, duplicated: 0, unexpected: 0, gap: 0 };
    for (const a of run.anomalies) c[a.kind] = (c[a.kind] ?? 0) + 1;
    return c;
  }, [run.anomalies]);
  const rows = useMemo(() => (kind ? run.anomalies.filter((a) => a.kind === kind) : run.anomalies), [run.anomalies, kind]);
  const meta = run.summary?.anomalies;

  return (
    <Card
      title="Anomalies"
      titleId={`${uid}-title`}
      testId="replay-anomalies"
      actions={
        <label htmlFor={`${uid}-kind`} className="flex items-center gap-1.5 text-xs text-slate-600 dark:text-slate-400">
          kind
          <select
            id={`${uid}-kind`}
            data-testid="replay-anomaly-filter"
            value={kind}
            onChange={(e) => {
              setKind(e.target.value as AnomalyKind | '');
              setLimit(PAGE);
            }}
            className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-950"
          >
            <option value="">all ({run.anomalies.length})</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k} ({counts[k]})
              </option>
            ))}
          </select>
        </label>
      }
    >
      {meta?.capped ? (
        <p className="mb-2 text-xs text-amber-800 dark:text-amber-300">
          {int(meta.total)} anomalies in all; the record keeps the first {int(meta.recorded)} (cap {int(meta.cap)}).
        </p>
      ) : null}
      {run.anomalies.length === 0 ? (
        <EmptyNote>{run.status === 'running' ? 'Anomalies are listed once the run is judged.' : 'No anomaly: every message was consumed exactly once.'}</EmptyNote>
      ) : rows.length === 0 ? (
        <EmptyNote>No {kind} anomaly in this run.</EmptyNote>
      ) : (
        <div className="relative -mx-4 overflow-x-auto px-4">
          <table className="w-full min-w-[36rem] text-sm">
            <thead>
              <tr className="border-b border-slate-200 text-left text-xs text-slate-500 dark:border-slate-800 dark:text-slate-400">
                <th scope="col" className="py-1.5 pr-3 font-medium">Message id</th>
                <th scope="col" className="py-1.5 pr-3 font-medium">Kind</th>
                <th scope="col" className="py-1.5 pr-3 font-medium">Send status</th>
                <th scope="col" className="py-1.5 pr-3 font-medium">Last stage reached</th>
                <th scope="col" className="py-1.5 font-medium">Detail</th>
              </tr>
            </thead>
            <tbody>
              {rows.slice(0, limit).map((a, i) => (
                <tr key={`${a.messageId}-${a.kind}-${i}`} data-testid="replay-anomaly" className="border-b border-slate-100 last:border-0 dark:border-slate-800/60">
                  <td className="max-w-[18rem] truncate py-1 pr-3 font-mono text-xs" title={a.messageId}>
                    {a.messageId}
                  </td>
                  <td className="py-1 pr-3">
                    <span
                      className={`rounded px-1.5 py-0.5 text-xs font-medium ${
                        a.kind === 'lost' || a.kind === 'unexpected'
                          ? 'bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-200'
                          : 'bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-200'
                      }`}
                    >
                      {a.kind}
                    </span>
                  </td>
                  <td className="py-1 pr-3 font-mono text-xs">{a.sendStatus ?? '–'}</td>
                  <td className="py-1 pr-3 text-xs">{a.lastStage ?? '–'}</td>
                  <td className="max-w-[20rem] truncate py-1 font-mono text-[11px] text-slate-500 dark:text-slate-400" title={detailText(a.detail)}>
                    {detailText(a.detail)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {rows.length > limit ? (
            <div className="mt-2 flex items-center gap-2 text-xs text-slate-600 dark:text-slate-400">
              Showing {limit} of {rows.length}.
              <Button onClick={() => setLimit((l) => l + PAGE)}>Show {Math.min(PAGE, rows.length - limit)} more</Button>
            </div>
          ) : null}
        </div>
      )}
    </Card>
  );
}

function detailText(detail: unknown): string {
  if (detail === null || detail === undefined) return '';
  if (typeof detail === 'string') return detail;
  try {
    const s = JSON.stringify(detail);
    return s === '{}' ? '' : s;
  } catch {
    return String(detail);
  }
}
