'use client';
/**
 * The replay of one recorded drill run: its settings and verdict, a scrubber (range input, play /
 * pause, speed) over the recorded timeline, the charts as they were at that moment with the fault
 * windows shaded, the events up to it (./replay-timeline.tsx), the ledger, the re-runs
 * (./rerun.tsx) and the per-message anomalies (./replay-anomalies.tsx). The run is read here, and
 * read again every second while it still runs.
 */
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { useMemo } from 'react';
import { LAB_BUGS } from '@/broker/lab-bugs';
import { clock } from '../../_lib/format';
import { trpc } from '../../_lib/trpc';
import { Card } from '../ui/card';
import { LoadError } from '../ui/query-state';
import { Skeleton } from '../ui/skeleton';
import { LedgerView } from './ledger';
import { Notice, RunStatusBadge, secs, SettingChips, settingKeys, settingValue, VerdictBadge, type DrillRunDetail } from './common';
import { toRows } from './replay-charts';
import { Anomalies } from './replay-anomalies';
import { Timeline } from './replay-timeline';
import { RerunSection } from './rerun';

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
      {run.target ? null : <RerunSection run={run} />}
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
      {run.target ? (
        <Notice tone="info">
          <span data-testid="drill-target">
            Ran against the external cluster at <span className="font-mono">{run.target.namesrv}</span>, its fault through the{' '}
            <span className="font-mono">{run.target.executor}</span> executor. The settings shown are the ones read from that cluster; there
            are no live samples or broker stage events, and it is re-run from the External page, not here.
          </span>
        </Notice>
      ) : null}
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
