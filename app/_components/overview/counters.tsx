'use client';
/** Totals since the control plane started: sends per SendStatus, stored messages, the store's watermarks. */
import type { LiveSample, LiveState } from '@/server/live/types';
import { bytes, grouped, int } from '../../_lib/format';
import { OUTCOME_STATUSES, STATUS_COLOR, STATUS_MEANING } from '../../_lib/status';
import { Card } from '../ui/card';

function Tile({ label, value, testId, color, title, sub }: { label: string; value: string; testId?: string; color?: string; title?: string; sub?: string }) {
  return (
    <div className="min-w-0 rounded-lg border border-slate-200 px-3 py-2 dark:border-slate-800" title={title}>
      <dt className="flex items-start gap-1.5 text-[11px] leading-4 font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">
        {color ? <span className="mt-1 h-2 w-2 shrink-0 rounded-full" style={{ backgroundColor: color }} aria-hidden="true" /> : null}
        <span className="min-w-0 break-all">{label}</span>
      </dt>
      <dd className="mt-0.5 truncate text-xl font-semibold tabular-nums" data-testid={testId}>
        {value}
      </dd>
      {sub ? <dd className="truncate text-xs text-slate-500 dark:text-slate-400">{sub}</dd> : null}
    </div>
  );
}

export function Counters({ state, latest }: { state: LiveState; latest: LiveSample | null }) {
  const { totals } = state;
  const notOk = totals.sent - totals.byStatus.SEND_OK;
  return (
    <Card
      title="Counters"
      titleId="counters-title"
      testId="counters-card"
      actions={
        totals.sent === 0 ? (
          <span className="text-xs text-slate-500 dark:text-slate-400">No traffic yet — start some.</span>
        ) : (
          <span className="text-xs text-slate-500 dark:text-slate-400">
            {notOk === 0 ? 'every send SEND_OK' : `${grouped(notOk)} not SEND_OK (${((notOk / totals.sent) * 100).toFixed(2)} %)`}
          </span>
        )
      }
    >
      <dl className="grid grid-cols-2 gap-2 sm:grid-cols-3 md:grid-cols-5 xl:grid-cols-9">
        <Tile label="Total sent" value={int(totals.sent)} testId="total-sent" title="Sends the producer finished, with any status" />
        <Tile label="Stored" value={int(totals.stored)} testId="total-stored" title="Messages the broker appended to its commit log" />
        {OUTCOME_STATUSES.map((status) => (
          <Tile
            key={status}
            label={status}
            value={int(totals.byStatus[status])}
            testId={`total-${status}`}
            color={STATUS_COLOR[status]}
            title={`${status}: ${STATUS_MEANING[status]}`}
          />
        ))}
      </dl>
      <h3 className="mb-2 mt-4 text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">Store watermarks</h3>
      <dl className="grid grid-cols-1 gap-2 sm:grid-cols-3">
        <Tile
          label="Max offset"
          value={latest ? grouped(latest.maxPhyOffset) : '–'}
          testId="store-max-offset"
          sub="bytes written to the commit log"
        />
        <Tile
          label="Flushed offset"
          value={latest ? grouped(latest.flushedPhyOffset) : '–'}
          testId="store-flushed-offset"
          sub="covered by fdatasync"
        />
        <Tile
          label="Unflushed"
          value={latest ? bytes(latest.unflushedBytes) : '–'}
          testId="store-unflushed-bytes"
          title={latest ? `${grouped(latest.unflushedBytes)} bytes` : undefined}
          sub="lost on a power cut"
        />
      </dl>
    </Card>
  );
}
