'use client';
/**
 * The drill that runs now (phase stepper, progress bar, phase message, live ledger counts, Cancel)
 * and, once it ended, its verdict and ledger with a link to the replay.
 */
import Link from 'next/link';
import type { DrillPhase, DrillRunView, DrillStatus } from '@/server/drills/types';
import { Button } from '../ui/button';
import { Card } from '../ui/card';
import { Skeleton } from '../ui/skeleton';
import { LedgerView, LiveCounts } from './ledger';
import { Notice, PHASE_LABEL, PHASE_STEPS, RunStatusBadge, secs, SettingChips } from './common';
import { useCan } from '../../_lib/session';

function Stepper({ phase, failedAt }: { phase: DrillPhase; failedAt: DrillPhase | null }) {
  const at = phase === 'failed' ? PHASE_STEPS.indexOf(failedAt ?? 'starting') : PHASE_STEPS.indexOf(phase);
  return (
    <ol className="flex flex-wrap gap-x-1 gap-y-1.5 text-xs" aria-label="Phases">
      {PHASE_STEPS.map((p, i) => {
        const done = i < at || (phase === 'done' && p === 'done');
        const current = i === at && phase !== 'done';
        const failedHere = phase === 'failed' && current;
        const cls = failedHere
          ? 'bg-red-600 text-white dark:bg-red-500'
          : current
            ? 'bg-sky-600 text-white dark:bg-sky-500 dark:text-slate-950'
            : done
              ? 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200'
              : 'bg-slate-100 text-slate-500 dark:bg-slate-800 dark:text-slate-400';
        return (
          <li key={p} aria-current={current ? 'step' : undefined} className="flex items-center gap-1">
            <span className={`rounded-full px-2 py-0.5 font-medium ${cls}`}>
              <span aria-hidden="true">{done ? '✓ ' : current ? (failedHere ? '✕ ' : '● ') : ''}</span>
              {PHASE_LABEL[p]}
              <span className="sr-only">{done ? ' (done)' : current ? ' (current)' : ' (to come)'}</span>
            </span>
            {i < PHASE_STEPS.length - 1 ? (
              <span aria-hidden="true" className="text-slate-300 dark:text-slate-600">
                →
              </span>
            ) : null}
          </li>
        );
      })}
    </ol>
  );
}

/** The progress block: `drill-progress` carries the phase name as its text. */
function Progress({ phase, progress, message, elapsedMs }: { phase: DrillPhase | 'cancelled'; progress: number; message: string; elapsedMs: number | null }) {
  const pct = Math.round(Math.max(0, Math.min(1, progress)) * 100);
  return (
    <div className="grid gap-1.5">
      <div className="flex flex-wrap items-baseline justify-between gap-2 text-sm">
        <p aria-live="polite">
          Phase: <strong data-testid="drill-progress" data-phase={phase}>{phase}</strong>
          <span className="text-slate-600 dark:text-slate-400"> — {message}</span>
        </p>
        <span className="font-mono text-xs tabular-nums text-slate-500 dark:text-slate-400">
          {pct}%{elapsedMs !== null ? ` · ${secs(elapsedMs)}` : ''}
        </span>
      </div>
      <div
        role="progressbar"
        aria-label="Drill progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
        className="h-2 w-full overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800"
      >
        <div
          className={`h-full rounded-full transition-[width] duration-300 ${phase === 'failed' ? 'bg-red-500' : phase === 'cancelled' ? 'bg-amber-500' : phase === 'done' ? 'bg-emerald-500' : 'bg-sky-500'}`}
          style={{ width: `${pct}%` }}
        />
      </div>
    </div>
  );
}

export function RunPanel({
  runId,
  status,
  lastStatus,
  record,
  recordError,
  starting,
  onCancel,
  cancelling,
  cancelError,
  onDismiss,
}: {
  runId: string | null;
  /** the live status of this run, while it runs */
  status: DrillStatus | null;
  /** the last status seen (for the final counts and phase before judging) */
  lastStatus: DrillStatus | null;
  /** the record once the run left the runner */
  record: DrillRunView | null;
  recordError: string | null;
  starting: boolean;
  onCancel(): void;
  cancelling: boolean;
  cancelError: string | null;
  onDismiss(): void;
}) {
  const can = useCan('drill');
  const title = status?.title ?? record?.title ?? lastStatus?.title ?? 'Starting a drill';
  const ended = record !== null && record.status !== 'running';

  let body;
  if (status) {
    body = (
      <div className="grid gap-3">
        <Stepper phase={status.phase} failedAt={lastStatus?.phase ?? null} />
        <Progress phase={status.phase} progress={status.progress} message={status.cancelRequested ? `cancelling… (${status.message})` : status.message} elapsedMs={status.elapsedMs} />
        <SettingChips
          label="Run settings"
          items={[
            { key: 'flushDiskType', value: status.settings.broker.flushDiskType },
            { key: 'brokerRole', value: status.settings.broker.brokerRole },
            { key: 'sendMode', value: status.settings.traffic.sendMode },
            { key: 'ackMode', value: status.settings.traffic.ackMode },
            { key: 'idempotent', value: status.settings.traffic.idempotent ? 'yes' : 'no' },
            { key: 'rate', value: `${status.settings.traffic.rate} msg/s` },
            { key: 'duration', value: `${status.settings.traffic.durationSec} s` },
            { key: 'slave', value: status.settings.slaveRunning ? 'running' : 'none' },
            { key: 'seed', value: String(status.seed) },
            ...(status.rerunOf ? [{ key: 're-run of', value: status.rerunOf }] : []),
            ...(status.labBug ? [{ key: 'deliberate bug', value: status.labBug }] : []),
          ]}
        />
        <p className="text-sm">
          <span className="font-medium">Judged against: </span>
          <span className="text-slate-700 dark:text-slate-300">{status.prediction.text}</span>
        </p>
        <LiveCounts counts={status.counts} />
      </div>
    );
  } else if (ended && record) {
    const phase = record.status === 'done' ? 'done' : record.status === 'cancelled' ? 'cancelled' : 'failed';
    body = (
      <div className="grid gap-3">
        <Stepper phase={phase === 'cancelled' ? 'failed' : phase} failedAt={lastStatus?.phase ?? null} />
        <Progress
          phase={phase}
          progress={1}
          message={record.status === 'done' ? 'judged' : record.error ?? record.status}
          elapsedMs={record.endedAt ? record.endedAt - record.startedAt : null}
        />
        {record.status !== 'done' ? (
          <Notice tone={record.status === 'cancelled' ? 'warn' : 'error'} role="alert">
            The run {record.status === 'cancelled' ? 'was cancelled' : 'failed'}: {record.error ?? 'no reason recorded'}. The cluster was restored.
          </Notice>
        ) : null}
        {record.summary ? (
          <LedgerView
            summary={record.summary}
            prediction={record.prediction}
            verdict={record.verdict}
            verdictReason={record.verdictReason}
            verdictTestId="drill-verdict"
          />
        ) : (
          <p className="text-sm text-slate-600 dark:text-slate-400">No ledger was recorded for this run.</p>
        )}
      </div>
    );
  } else if (recordError) {
    body = (
      <Notice tone="error" role="alert">
        Could not read the run’s record: {recordError}
      </Notice>
    );
  } else {
    body = (
      <div className="grid gap-3" aria-busy="true">
        <Stepper phase={lastStatus?.phase === 'done' || lastStatus?.phase === 'judging' ? lastStatus.phase : starting ? 'starting' : 'judging'} failedAt={null} />
        <Progress
          phase={lastStatus?.phase ?? 'starting'}
          progress={lastStatus?.progress ?? 0.01}
          message={starting ? 'asking the server to start the drill' : record?.status === 'running' ? 'running (waiting for the live status)' : 'reading the record'}
          elapsedMs={lastStatus?.elapsedMs ?? null}
        />
        {lastStatus ? <LiveCounts counts={lastStatus.counts} /> : <Skeleton className="h-20" />}
      </div>
    );
  }

  return (
    <Card
      title={
        <span className="flex flex-wrap items-center gap-2 normal-case tracking-normal">
          <span className="uppercase tracking-wide">{ended ? 'Last run' : 'Running'}</span>
          <span className="font-normal text-slate-900 dark:text-slate-100">{title}</span>
          {record && ended ? <RunStatusBadge status={record.status} /> : null}
        </span>
      }
      titleId="drill-run-title"
      testId="drill-run-panel"
      className={status ? 'ring-2 ring-sky-400/50' : ''}
      actions={
        <div className="flex flex-wrap items-center gap-2">
          {status ? (
            <>
              <Button variant="danger" onClick={onCancel} busy={cancelling} disabled={status.cancelRequested || !can.allowed} data-testid="drill-cancel" title={can.reason}>
                {status.cancelRequested ? 'Cancelling…' : 'Cancel'}
              </Button>
              {!can.allowed ? <span className="text-xs text-slate-500 dark:text-slate-400">{can.reason}</span> : null}
            </>
          ) : null}
          {runId && (ended || status) ? (
            <Link
              href={`/drills/${runId}`}
              data-testid={ended ? 'drill-replay-link' : undefined}
              className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-500 dark:border-slate-700 dark:bg-slate-900 dark:hover:bg-slate-800"
            >
              {ended ? 'Open the replay →' : 'Replay so far →'}
            </Link>
          ) : null}
          {ended ? (
            <Button variant="ghost" onClick={onDismiss} aria-label="Hide the last run">
              Hide
            </Button>
          ) : null}
        </div>
      }
    >
      {cancelError ? (
        <p role="alert" className="mb-2 text-sm text-red-700 dark:text-red-300">
          {cancelError}
        </p>
      ) : null}
      {body}
    </Card>
  );
}
