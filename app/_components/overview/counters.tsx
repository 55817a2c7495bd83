'use client';
/**
 * Totals since the control plane started: sends per SendStatus, stored messages, what the consumers
 * received and applied, the sequence check, and the store's watermarks.
 */
import type { ReactNode } from 'react';
import type { LiveSample, LiveState } from '@/server/live/types';
import { bytes, grouped, int } from '../../_lib/format';
import { OUTCOME_STATUSES, STATUS_COLOR, STATUS_MEANING } from '../../_lib/status';
import { Card } from '../ui/card';

type Tone = 'good' | 'bad' | 'warn';

const TONE_BOX: Record<Tone, string> = {
  good: 'border-emerald-300 bg-emerald-50 dark:border-emerald-800 dark:bg-emerald-950/40',
  bad: 'border-red-300 bg-red-50 dark:border-red-800 dark:bg-red-950/50',
  warn: 'border-amber-300 bg-amber-50 dark:border-amber-800 dark:bg-amber-950/40',
};

const TONE_VALUE: Record<Tone, string> = {
  good: 'text-emerald-700 dark:text-emerald-300',
  bad: 'text-red-700 dark:text-red-300',
  warn: 'text-amber-800 dark:text-amber-200',
};

function Tile({
  label,
  value,
  testId,
  color,
  title,
  sub,
  tone,
}: {
  label: string;
  value: string;
  testId?: string;
  color?: string;
  title?: string;
  sub?: string;
  tone?: Tone;
}) {
  return (
    <div className={`min-w-0 rounded-lg border px-3 py-2 ${tone ? TONE_BOX[tone] : 'border-slate-200 dark:border-slate-800'}`} title={title}>
      <dt className="flex items-start gap-1.5 text-[11px] leading-4 font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">
        {color ? <span className="mt-1 h-2 w-2 shrink-0 rounded-full" style={{ backgroundColor: color }} aria-hidden="true" /> : null}
        <span className="min-w-0 wrap-anywhere">{label}</span>
      </dt>
      <dd className={`mt-0.5 truncate text-xl font-semibold tabular-nums ${tone ? TONE_VALUE[tone] : ''}`} data-testid={testId}>
        {value}
      </dd>
      {sub ? <dd className={`text-xs leading-4 wrap-break-word ${tone ? TONE_VALUE[tone] : 'text-slate-500 dark:text-slate-400'}`}>{sub}</dd> : null}
    </div>
  );
}

const SEQUENCE_EXPLAINED =
  'The producer stamps a sequence number per producer and queue on every message; the consumers check that sequence on arrival.';

function SubHeading({ children, title }: { children: ReactNode; title?: string }) {
  return (
    <h3 className="mb-2 mt-4 text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400" title={title}>
      {children}
    </h3>
  );
}

type TileSpec = Parameters<typeof Tile>[0] & { testId: string };

/** A grid of tiles; `columns` are the grid's classes at each width. */
function Tiles({ tiles, columns, title }: { tiles: TileSpec[]; columns: string; title?: string }) {
  return (
    <dl className={`grid gap-2 ${columns}`} title={title}>
      {tiles.map((tile) => (
        <Tile key={tile.testId} {...tile} />
      ))}
    </dl>
  );
}

/** Sends by outcome: every send, what the broker stored, and one tile per SendStatus. */
function sendTiles(totals: LiveState['totals']): TileSpec[] {
  return [
    { label: 'Total sent', value: int(totals.sent), testId: 'total-sent', title: 'Sends the producer finished, with any status' },
    { label: 'Stored', value: int(totals.stored), testId: 'total-stored', title: 'Messages the broker appended to its commit log' },
    ...OUTCOME_STATUSES.map((status) => ({
      label: status,
      value: int(totals.byStatus[status]),
      testId: `total-${status}`,
      color: STATUS_COLOR[status],
      title: `${status}: ${STATUS_MEANING[status]}`,
    })),
  ];
}

function consumerTiles(totals: LiveState['totals']): TileSpec[] {
  return [
    { label: 'Delivered', value: int(totals.delivered), testId: 'total-delivered', title: "Messages handed to a consumer's listener, redeliveries included" },
    { label: 'Consumed', value: int(totals.consumed), testId: 'total-consumed', title: 'Messages applied: the business effect happened' },
    {
      label: 'Reconsumed',
      value: int(totals.reconsumed),
      testId: 'total-reconsumed',
      title: 'The listener answered RECONSUME_LATER: the broker delivers the message again later (retry topic)',
      sub: 'RECONSUME_LATER',
    },
    {
      label: 'Dupes suppressed',
      value: int(totals.duplicatesSuppressed),
      testId: 'total-duplicates-suppressed',
      title: 'Redeliveries the idempotent consumer recognised in its persisted dedupe store and did not apply twice',
      sub: 'by the dedupe store',
    },
    {
      label: 'DLQ',
      value: int(totals.dlq),
      testId: 'total-dlq',
      title: 'Messages the broker moved to a %DLQ% topic after maxReconsumeTimes retries',
      tone: totals.dlq > 0 ? 'warn' : undefined,
      sub: 'dead letters',
    },
  ];
}

function sequenceTiles(totals: LiveState['totals']): TileSpec[] {
  const sequence = totals.sequence;
  return [
    { label: 'In order', value: int(sequence.inOrder), testId: 'sequence-in-order', title: 'Arrivals with exactly the next expected sequence number' },
    {
      label: 'Gaps found',
      value: int(sequence.gaps),
      testId: 'sequence-gaps',
      title: 'Times a sequence number arrived while earlier ones had not: a hole in the stream (it may fill later)',
      tone: sequence.gaps > 0 ? 'warn' : undefined,
    },
    { label: 'Reordered', value: int(sequence.reordered), testId: 'sequence-reordered', title: 'Arrivals older than one already seen: a late fill of a gap' },
    { label: 'Dupes seen', value: int(sequence.duplicates), testId: 'sequence-duplicates', title: 'Sequence numbers that arrived more than once: redeliveries' },
    {
      label: 'Missing now',
      value: int(sequence.missingNow),
      testId: 'sequence-missing',
      title: 'Sequence numbers never received so far: lost unless they still arrive',
      tone: sequence.missingNow > 0 ? 'bad' : totals.consumed > 0 ? 'good' : undefined,
      sub: sequence.missingNow > 0 ? 'lost so far' : totals.consumed > 0 ? 'no gaps' : 'nothing consumed yet',
    },
  ];
}

/** The store's watermarks from the newest sample: how far the commit log is written, and flushed. */
function watermarkTiles(latest: LiveSample | null): TileSpec[] {
  return [
    { label: 'Max offset', value: latest ? grouped(latest.maxPhyOffset) : '–', testId: 'store-max-offset', sub: 'bytes written to the commit log' },
    { label: 'Flushed offset', value: latest ? grouped(latest.flushedPhyOffset) : '–', testId: 'store-flushed-offset', sub: 'covered by fdatasync' },
    {
      label: 'Unflushed',
      value: latest ? bytes(latest.unflushedBytes) : '–',
      testId: 'store-unflushed-bytes',
      title: latest ? `${grouped(latest.unflushedBytes)} bytes` : undefined,
      sub: 'lost on a power cut',
    },
  ];
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
      <Tiles tiles={sendTiles(totals)} columns="grid-cols-2 sm:grid-cols-3 md:grid-cols-5 xl:grid-cols-9" />
      <div className="grid gap-x-4 xl:grid-cols-2">
        <div className="min-w-0">
          <SubHeading>Consumer side</SubHeading>
          <Tiles tiles={consumerTiles(totals)} columns="grid-cols-2 sm:grid-cols-3 md:grid-cols-5" />
        </div>
        <div className="min-w-0">
          <SubHeading title={SEQUENCE_EXPLAINED}>
            Sequence check <span className="font-normal normal-case tracking-normal">· per producer and queue</span>
          </SubHeading>
          <Tiles tiles={sequenceTiles(totals)} columns="grid-cols-2 sm:grid-cols-3 md:grid-cols-5" title={SEQUENCE_EXPLAINED} />
        </div>
      </div>
      <p className="mt-2 text-xs text-slate-500 dark:text-slate-400">{SEQUENCE_EXPLAINED}</p>
      <SubHeading>Store watermarks</SubHeading>
      <Tiles tiles={watermarkTiles(latest)} columns="grid-cols-1 sm:grid-cols-3" />
    </Card>
  );
}
