'use client';
/**
 * The replay of one recorded drill run: its settings and verdict, a scrubber (range input, play /
 * pause, speed) over the recorded timeline, the charts as they were at that moment with the fault
 * windows shaded, the events up to it, the ledger and the per-message anomalies.
 */
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type { AnomalyKind } from '@/server/drills/types';
import { clock, int } from '../../_lib/format';
import { trpc, type RouterOutputs } from '../../_lib/trpc';
import { Button } from '../ui/button';
import { Card } from '../ui/card';
import { EmptyNote, LoadError } from '../ui/query-state';
import { Skeleton } from '../ui/skeleton';
import { LedgerView } from './ledger';
import { Notice, runClock, RunStatusBadge, secs, SettingChips, settingKeys, settingValue, VerdictBadge } from './common';
import { ReplayCharts, toRows } from './replay-charts';
import { RerunSection } from './rerun';
import { LAB_BUGS } from '@/broker/lab-bugs';

type DrillRunDetail = RouterOutputs['drills']['get'];
type DrillTimelineEvent = DrillRunDetail['events'][number];

const SPEEDS = [0.5, 1, 2, 4, 8] as const;

export function DrillReplay({ runId }: { runId: string }) {
  const run = trpc.drills.get.useQuery(
    { runId, anomalyLimit: 5000 },
    {
      retry: (n, err) => !isUnknownRun(err) && n < 2,
      refetchInterval: (q) => (q.state.data?.status === 'running' ? 1000 : false),
    },
  );
  const catalog = trpc.drills.catalog.useQuery(undefined, { staleTime: 60_000 });

  // the route's not-found.tsx says so, with a way back to the drills
  if (isUnknownRun(run.error)) notFound();
  if (run.isPending) {
    return (
      <div className="grid gap-4" aria-busy="true" aria-label="Loading the drill run">
        <Skeleton className="h-24" />
        <Skeleton className="h-16" />
        <div className="grid gap-4 lg:grid-cols-2">
          <Skeleton className="h-64" />
          <Skeleton className="h-64" />
        </div>
      </div>
    );
  }
  if (run.isError) {
    return (
      <div className="grid gap-3">
        <BackLink />
        <LoadError what={`Could not load drill run ${runId}`} error={run.error} onRetry={() => void run.refetch()} />
      </div>
    );
  }
  const relevant = catalog.data?.find((d) => d.id === run.data.drillId)?.relevantSettings;
  return <Replay run={run.data} relevant={relevant} />;
}

/** The server knows no such run (NOT_FOUND), or refuses the id's form (BAD_REQUEST). */
function isUnknownRun(error: { data?: { code?: string } | null } | null): boolean {
  return error?.data?.code === 'NOT_FOUND' || error?.data?.code === 'BAD_REQUEST';
}

function BackLink() {
  return (
    <Link href="/drills" className="w-fit rounded-md text-sm text-sky-700 hover:underline focus-visible:outline-2 focus-visible:outline-emerald-500 dark:text-sky-300">
      ← Drills
    </Link>
  );
}

function Replay({ run, relevant }: { run: DrillRunDetail; relevant: string[] | undefined }) {
  const rows = useMemo(() => toRows(run.samples), [run.samples]);
  const events = useMemo(() => [...run.events].sort((a, b) => a.t - b.t), [run.events]);
  const duration = useMemo(
    () =>
      Math.max(
        1000,
        run.endedAt ? run.endedAt - run.startedAt : 0,
        rows.length ? rows[rows.length - 1].t : 0,
        events.length ? events[events.length - 1].t : 0,
      ),
    [run.endedAt, run.startedAt, rows, events],
  );
  const hasLag = useMemo(() => rows.some((r) => r.replicationLagBytes !== null && r.replicationLagBytes !== undefined), [rows]);

  return (
    <div className="grid gap-4">
      <BackLink />
      <Header run={run} relevant={relevant} duration={duration} />
      {run.status === 'running' ? (
        <Notice tone="info" role="status">
          This run is still going: the recording grows every second.
        </Notice>
      ) : null}
      <Timeline run={run} rows={rows} events={events} duration={duration} hasLag={hasLag} />
      <Card title="Ledger" titleId="replay-ledger-title" testId="replay-ledger">
        {run.summary ? (
          <LedgerView summary={run.summary} prediction={run.prediction} verdict={null} verdictReason={null} />
        ) : (
          <p className="text-sm text-slate-600 dark:text-slate-400">
            {run.status === 'running' ? 'The ledger is judged once the consumers drained.' : 'No ledger was recorded for this run.'}
          </p>
        )}
      </Card>
      <RerunSection run={run} />
      <Anomalies run={run} />
    </div>
  );
}

function Header({ run, relevant, duration }: { run: DrillRunDetail; relevant: string[] | undefined; duration: number }) {
  const chips = [
    ...settingKeys(relevant).map((key) => ({ key, value: settingValue(run.settings, key) })),
    ...['sendMode', 'ackMode', 'idempotent']
      .filter((k) => !(relevant ?? []).includes(k))
      .map((key) => ({ key, value: settingValue(run.settings, key) })),
    { key: 'rate', value: `${run.settings.traffic.rate} msg/s` },
    { key: 'duration', value: `${run.settings.traffic.durationSec} s` },
    { key: 'consumers', value: String(run.settings.traffic.consumers) },
    { key: 'slave', value: run.settings.slaveRunning ? 'running' : 'none' },
  ];
  return (
    <section aria-labelledby="replay-title" className="grid gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <h1 id="replay-title" className="text-2xl font-semibold tracking-tight">
            {run.title}
          </h1>
          <p className="text-xs text-slate-600 dark:text-slate-400">
            <span className="font-mono">{run.drillId}</span> · run <span className="font-mono">{run.runId}</span> · started {new Date(run.startedAt).toLocaleDateString()}{' '}
            {clock(run.startedAt)} · {secs(duration)}
            {run.input.label ? ` · label ${run.input.label}` : ''}
            {run.input.seed !== undefined ? ` · seed ${run.input.seed}` : ''}
          </p>
        </div>
        <div className="flex flex-wrap items-center gap-2">
          <RunStatusBadge status={run.status} />
          {run.verdict ? <VerdictBadge verdict={run.verdict} testId="drill-verdict" large /> : null}
        </div>
      </div>
      {run.input.labBug ? (
        <Notice tone="warn">
          <span data-testid="drill-lab-bug">
            Ran with deliberate bug <span className="font-mono">{run.input.labBug}</span>: {LAB_BUGS[run.input.labBug].breaks} ({LAB_BUGS[run.input.labBug].where}). Switched on for this run only, judged like any other run.
          </span>
        </Notice>
      ) : null}
      {run.verdictReason ? <p className="text-sm">{run.verdictReason}</p> : null}
      {run.error ? (
        <Notice tone={run.status === 'cancelled' ? 'warn' : 'error'}>
          {run.status === 'cancelled' ? 'Cancelled' : 'Failed'}: {run.error}
        </Notice>
      ) : null}
      <SettingChips items={chips} label="Settings the run ran under" />
    </section>
  );
}

function Timeline({
  run,
  rows,
  events,
  duration,
  hasLag,
}: {
  run: DrillRunDetail;
  rows: ReturnType<typeof toRows>;
  events: DrillTimelineEvent[];
  duration: number;
  hasLag: boolean;
}) {
  const uid = useId();
  const [cursor, setCursor] = useState(duration);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState<number>(2);
  const cursorRef = useRef(cursor);
  cursorRef.current = cursor;

  // a growing recording (running run): keep the cursor pinned to the end if it was there
  const lastDuration = useRef(duration);
  useEffect(() => {
    if (cursorRef.current >= lastDuration.current) setCursor(duration);
    lastDuration.current = duration;
  }, [duration]);

  useEffect(() => {
    if (!playing) return;
    let raf = 0;
    let last = performance.now();
    let lastPaint = 0;
    let pos = cursorRef.current >= duration ? 0 : cursorRef.current;
    setCursor(pos);
    const step = (now: number) => {
      pos = Math.min(duration, pos + (now - last) * speed);
      last = now;
      if (now - lastPaint > 80 || pos >= duration) {
        lastPaint = now;
        setCursor(pos);
      }
      if (pos >= duration) {
        setPlaying(false);
        return;
      }
      raf = requestAnimationFrame(step);
    };
    raf = requestAnimationFrame(step);
    return () => cancelAnimationFrame(raf);
  }, [playing, speed, duration]);

  const seek = (t: number) => {
    setPlaying(false);
    setCursor(Math.max(0, Math.min(duration, t)));
  };

  const shown = useMemo(() => events.filter((e) => e.t <= cursor), [events, cursor]);
  const currentIndex = shown.length - 1;
  const nextEvent = events.find((e) => e.t > cursor + 1);
  const prevEvent = [...shown].reverse().find((e) => e.t < cursor - 1);

  // keep the current event in view inside the list (not the page)
  const listRef = useRef<HTMLOListElement>(null);
  useEffect(() => {
    const list = listRef.current;
    const el = list?.querySelector<HTMLElement>('[aria-current="true"]');
    if (!list || !el) return;
    const top = el.offsetTop - list.offsetTop;
    if (top < list.scrollTop || top + el.offsetHeight > list.scrollTop + list.clientHeight) list.scrollTop = top - list.clientHeight / 2;
  }, [currentIndex]);

  return (
    <div className="grid gap-4">
      <section
        aria-labelledby={`${uid}-title`}
        className="z-20 grid sm:sticky sm:top-[3.25rem] gap-2 rounded-xl border border-slate-200 bg-white/95 p-3 shadow-sm backdrop-blur dark:border-slate-800 dark:bg-slate-900/95"
      >
        <h2 id={`${uid}-title`} className="sr-only">
          Timeline scrubber
        </h2>
        <div className="flex flex-wrap items-center gap-2">
          <Button
            variant="primary"
            onClick={() => setPlaying((p) => !p)}
            aria-pressed={playing}
            data-testid="replay-play"
            className="min-w-[5.5rem]"
          >
            {playing ? 'Pause' : 'Play'}
          </Button>
          <Button onClick={() => seek(prevEvent?.t ?? 0)} aria-label="Previous event" title="Previous event" data-testid="replay-prev">
            <StepIcon dir="back" />
          </Button>
          <Button onClick={() => seek(nextEvent?.t ?? duration)} aria-label="Next event" title="Next event" data-testid="replay-next">
            <StepIcon dir="forward" />
          </Button>
          <label htmlFor={`${uid}-speed`} className="flex items-center gap-1 text-xs text-slate-600 dark:text-slate-400">
            speed
            <select
              id={`${uid}-speed`}
              value={speed}
              onChange={(e) => setSpeed(Number(e.target.value))}
              className="rounded-md border border-slate-300 bg-white px-1.5 py-1 text-sm dark:border-slate-700 dark:bg-slate-950"
            >
              {SPEEDS.map((s) => (
                <option key={s} value={s}>
                  {s}×
                </option>
              ))}
            </select>
          </label>
          <p className="ml-auto font-mono text-sm tabular-nums" aria-live="off">
            <span className="sr-only">Position </span>+{runClock(cursor)} <span className="text-slate-400">/ {runClock(duration)}</span>
          </p>
        </div>
        <div className="relative">
          <label htmlFor={`${uid}-scrub`} className="sr-only">
            Replay position
          </label>
          <FaultStrip run={run} duration={duration} />
          <input
            id={`${uid}-scrub`}
            data-testid="replay-scrubber"
            type="range"
            min={0}
            max={Math.round(duration)}
            step={100}
            value={Math.round(cursor)}
            onChange={(e) => seek(Number(e.target.value))}
            aria-valuetext={`${runClock(cursor)} of ${runClock(duration)}${shown.length ? `, last event: ${shown[shown.length - 1].message}` : ''}`}
            className="relative w-full accent-sky-600"
          />
        </div>
        {shown.length > 0 ? (
          <p className="truncate text-xs text-slate-600 dark:text-slate-400">
            <span className="font-mono">+{runClock(shown[shown.length - 1].t)}</span> {shown[shown.length - 1].message}
          </p>
        ) : null}
      </section>

      <div className="grid gap-4 xl:grid-cols-[minmax(0,1fr)_22rem]">
        <ReplayCharts rows={rows} duration={duration} cursor={cursor} faults={run.faultWindows} hasLag={hasLag} />
        <Card title="Events" titleId={`${uid}-events`} testId="replay-events" actions={<span className="text-xs text-slate-500 dark:text-slate-400">{shown.length} / {events.length}</span>}>
          {events.length === 0 ? (
            <p className="text-sm text-slate-600 dark:text-slate-400">No events were recorded.</p>
          ) : shown.length === 0 ? (
            <p className="text-sm text-slate-600 dark:text-slate-400">Nothing happened yet at this position.</p>
          ) : null}
          <ol ref={listRef} className="-mx-1 max-h-[32rem] overflow-y-auto px-1 text-sm" aria-label="Events up to the scrubber position">
            {shown.map((e, i) => {
              const current = i === currentIndex;
              const tone =
                e.kind === 'fault.start' || e.kind === 'error'
                  ? 'border-red-500'
                  : e.kind === 'fault.end' || e.kind === 'recovery'
                    ? 'border-emerald-500'
                    : e.kind === 'verdict'
                      ? 'border-violet-500'
                      : 'border-slate-300 dark:border-slate-700';
              return (
                <li key={`${e.t}-${i}`} data-testid="replay-event" aria-current={current ? 'true' : undefined}>
                  <button
                    type="button"
                    onClick={() => seek(e.t)}
                    className={`my-0.5 w-full rounded-r-md border-l-2 py-1 pl-2 pr-1 text-left focus-visible:outline-2 focus-visible:outline-emerald-500 ${tone} ${
                      current ? 'bg-sky-100 font-medium dark:bg-sky-950' : 'hover:bg-slate-100 dark:hover:bg-slate-800'
                    }`}
                  >
                    <span className="mr-1.5 font-mono text-xs tabular-nums text-slate-500 dark:text-slate-400">+{runClock(e.t)}</span>
                    <span className="mr-1 rounded bg-slate-100 px-1 font-mono text-[10px] text-slate-600 dark:bg-slate-800 dark:text-slate-300">{e.kind}</span>
                    <span className="break-words">{e.message}</span>
                  </button>
                </li>
              );
            })}
          </ol>
        </Card>
      </div>
    </div>
  );
}

function StepIcon({ dir }: { dir: 'back' | 'forward' }) {
  return (
    <svg aria-hidden="true" viewBox="0 0 16 16" className={`h-4 w-4 ${dir === 'back' ? '' : 'rotate-180'}`} fill="currentColor">
      <rect x="2" y="3" width="2" height="10" rx="0.5" />
      <path d="M14 3.5v9a.5.5 0 0 1-.8.4L6.6 8.4a.5.5 0 0 1 0-.8l6.6-4.5a.5.5 0 0 1 .8.4z" />
    </svg>
  );
}

/** The fault windows as red bands above the scrubber. */
function FaultStrip({ run, duration }: { run: DrillRunDetail; duration: number }) {
  if (run.faultWindows.length === 0) return null;
  return (
    <div aria-hidden="true" className="pointer-events-none absolute inset-x-0 top-1/2 h-3 -translate-y-1/2">
      {run.faultWindows.map((f, i) => {
        const left = (f.fromT / duration) * 100;
        const width = Math.max(0.6, (((f.toT ?? duration) - f.fromT) / duration) * 100);
        return <span key={i} title={f.label} className="absolute h-full rounded-sm bg-red-500/30" style={{ left: `${left}%`, width: `${width}%` }} />;
      })}
    </div>
  );
}

const KINDS: AnomalyKind[] = ['lost', 'duplicated', 'unexpected', 'gap'];
const PAGE = 50;

function Anomalies({ run }: { run: DrillRunDetail }) {
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
