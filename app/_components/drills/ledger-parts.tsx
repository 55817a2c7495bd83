'use client';
/**
 * The ledger's detail parts: losses by the answer the producer saw (against the prediction), the
 * recovery time with the losses by last stage reached and the power cut's dropped bytes, and the
 * sequence gaps and producer errors behind disclosure triangles.
 */
import type { DrillPrediction, LedgerStatus, LedgerSummary } from '@/server/drills/types';
import { bytes, grouped, int } from '../../_lib/format';
import { LEDGER_STAGES, LEDGER_STATUSES, ledgerStatusColor, secs } from './common';

/** answers that told the producer the send did not succeed (or never answered): losing those breaks no promise */
export const NOT_ACKED = new Set<LedgerStatus>(['ERROR', 'TIMEOUT', 'UNKNOWN']);

export function LossByStatus({ summary, prediction }: { summary: LedgerSummary; prediction: DrillPrediction | null }) {
  const rows = LEDGER_STATUSES.filter((s) => (summary.acknowledged[s] ?? 0) > 0 || (summary.lost[s] ?? 0) > 0 || s === 'SEND_OK');
  return (
    <div className="relative overflow-x-auto lg:col-span-2">
      <table className="w-full min-w-[22rem] text-sm">
        <caption className="mb-1 text-left text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">
          By the answer the producer saw
        </caption>
        <thead>
          <tr className="border-b border-slate-200 text-left text-xs text-slate-500 dark:border-slate-800 dark:text-slate-400">
            <th scope="col" className="py-1 pr-2 font-medium">SendStatus</th>
            <th scope="col" className="py-1 pr-2 text-right font-medium">acknowledged</th>
            <th scope="col" className="py-1 pr-2 text-right font-medium">lost</th>
            <th scope="col" className="py-1 text-right font-medium">predicted loss?</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((s: LedgerStatus) => {
            const lost = summary.lost[s] ?? 0;
            const allowed = s === 'SEND_OK' ? prediction?.sendOkLossPossible : prediction?.mayLose.includes(s) || NOT_ACKED.has(s);
            return (
              <tr key={s} className="border-b border-slate-100 last:border-0 dark:border-slate-800/60">
                <th scope="row" className="py-1 pr-2 text-left font-mono text-xs font-medium">
                  <span aria-hidden="true" className="mr-1.5 inline-block h-2 w-2 rounded-full" style={{ background: ledgerStatusColor(s) }} />
                  {s}
                </th>
                <td className="py-1 pr-2 text-right font-mono tabular-nums">{int(summary.acknowledged[s])}</td>
                <td className={`py-1 pr-2 text-right font-mono font-semibold tabular-nums ${lost > 0 ? (allowed ? 'text-amber-700 dark:text-amber-300' : 'text-red-700 dark:text-red-300') : ''}`}>
                  <span data-testid={`drill-lost-${s}`}>{int(lost)}</span>
                </td>
                <td className="py-1 text-right text-xs text-slate-600 dark:text-slate-400">
                  {!prediction ? '–' : NOT_ACKED.has(s) && !prediction.mayLose.includes(s) ? 'not acknowledged' : allowed ? 'may be lost' : 'none'}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function RecoveryNotes({ summary }: { summary: LedgerSummary }) {
  const lostStages = LEDGER_STAGES.filter((s) => (summary.lostByStage[s] ?? 0) > 0);
  return (
    <div className="grid content-start gap-2 text-sm">
      <div className="rounded-lg border border-slate-200 p-3 dark:border-slate-800">
        <h3 className="text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">Recovery (RTO)</h3>
        <p className="mt-1 font-mono text-lg font-semibold tabular-nums" data-testid="drill-rto">
          {summary.recovery.rtoMs === null ? '–' : secs(summary.recovery.rtoMs, 2)}
        </p>
        <p className="text-xs text-slate-600 dark:text-slate-400">
          {summary.recovery.rtoMs === null
            ? summary.recovery.failedSends > 0
              ? 'sends failed after the fault and none succeeded after them'
              : 'no send failed after the fault'
            : `from the first failed send (+${secs(summary.recovery.firstFailureT)}) to the first SEND_OK after it (+${secs(summary.recovery.firstOkAfterT)}); ${int(summary.recovery.failedSends)} sends failed`}
        </p>
      </div>
      {lostStages.length > 0 ? (
        <div className="rounded-lg border border-slate-200 p-3 dark:border-slate-800">
          <h3 className="text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">Lost messages, last stage reached</h3>
          <ul className="mt-1 grid grid-cols-2 gap-x-3 text-xs">
            {lostStages.map((s) => (
              <li key={s} className="flex justify-between">
                <span>{s}</span>
                <span className="font-mono tabular-nums">{int(summary.lostByStage[s])}</span>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {summary.powerCut ? (
        <div className="rounded-lg border border-slate-200 p-3 text-xs dark:border-slate-800">
          <h3 className="font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">Power cut</h3>
          <p className="mt-1">
            {bytes(summary.powerCut.lostBytes)} past the flushed offset {grouped(summary.powerCut.flushedOffset)} dropped (log ended at{' '}
            {grouped(summary.powerCut.maxOffset)}).
          </p>
        </div>
      ) : null}
    </div>
  );
}

export function LedgerDetails({ summary }: { summary: LedgerSummary }) {
  return (
    <>
      {summary.gapStreams.length > 0 ? (
        <details className="rounded-lg border border-slate-200 p-3 text-sm dark:border-slate-800">
          <summary className="cursor-pointer font-medium">Sequence gaps ({summary.gapStreams.length} streams)</summary>
          <ul className="mt-2 space-y-1 text-xs">
            {summary.gapStreams.map((g) => (
              <li key={`${g.producerId}-${g.queue}`}>
                <span className="font-mono">{g.producerId}</span> · queue <span className="font-mono">{g.queue}</span>: {int(g.missingCount)} missing (
                <span className="font-mono">{g.missing.slice(0, 20).join(', ')}{g.missingCount > 20 ? ', …' : ''}</span>)
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {summary.errors.length > 0 ? (
        <details className="rounded-lg border border-slate-200 p-3 text-sm dark:border-slate-800">
          <summary className="cursor-pointer font-medium">Producer errors ({summary.errors.length} distinct)</summary>
          <ul className="mt-2 space-y-1 text-xs">
            {summary.errors.map((e) => (
              <li key={`${e.status}-${e.error}`}>
                <span className="font-mono">{e.status}</span> × {int(e.count)}: <span className="break-words">{e.error}</span>
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </>
  );
}
