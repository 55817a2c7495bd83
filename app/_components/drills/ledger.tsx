'use client';
/**
 * The loss ledger of a finished run, Jepsen-queue-checker style: attempted, acknowledged by the status
 * the producer saw, consumed, lost by that status and by the last stage reached, duplicated,
 * sequence gaps, unexpected, the recovery time, and the prediction set against the observation.
 * The tables and notes below the counts are in ./ledger-parts.tsx.
 */
import type { DrillPrediction, LedgerCounts, LedgerSummary, Verdict } from '@/server/drills/types';
import { grouped, int } from '../../_lib/format';
import { LEDGER_STATUSES, ledgerStatusColor, secs, VERDICT_STYLE, VerdictBadge } from './common';
import { LedgerDetails, LossByStatus, NOT_ACKED, RecoveryNotes } from './ledger-parts';

function Stat({ label, value, hint, testId, tone }: { label: string; value: string; hint?: string; testId?: string; tone?: 'bad' | 'warn' | 'good' }) {
  const color =
    tone === 'bad' ? 'text-red-700 dark:text-red-300' : tone === 'warn' ? 'text-amber-700 dark:text-amber-300' : tone === 'good' ? 'text-emerald-700 dark:text-emerald-300' : '';
  return (
    <div className="rounded-lg border border-slate-200 bg-white px-3 py-2 dark:border-slate-800 dark:bg-slate-950/40">
      <dt className="text-xs text-slate-500 dark:text-slate-400">{label}</dt>
      <dd className={`font-mono text-lg font-semibold tabular-nums ${color}`}>
        <span data-testid={testId}>{value}</span>
      </dd>
      {hint ? <dd className="text-[11px] leading-tight text-slate-500 dark:text-slate-400">{hint}</dd> : null}
    </div>
  );
}

/** Live counts while a drill runs (no "lost" yet: that is judged after draining). */
export function LiveCounts({ counts }: { counts: LedgerCounts }) {
  const statuses = LEDGER_STATUSES.filter((s) => (counts.byStatus[s] ?? 0) > 0);
  return (
    <div className="grid gap-2">
      <dl className="grid grid-cols-2 gap-2 sm:grid-cols-3 lg:grid-cols-6">
        <Stat label="attempted" value={int(counts.attempted)} />
        <Stat label="stored" value={int(counts.stored)} />
        <Stat label="delivered" value={int(counts.delivered)} />
        <Stat label="consumed" value={int(counts.consumed)} />
        <Stat label="duplicated" value={int(counts.duplicated)} tone={counts.duplicated > 0 ? 'warn' : undefined} />
        <Stat label="unexpected" value={int(counts.unexpected)} tone={counts.unexpected > 0 ? 'bad' : undefined} />
      </dl>
      <p className="flex flex-wrap gap-x-3 gap-y-1 text-xs text-slate-600 dark:text-slate-400" aria-label="Acknowledged by status">
        {statuses.length === 0 ? <span>no answers from the broker yet</span> : null}
        {statuses.map((s) => (
          <span key={s} className="inline-flex items-center gap-1">
            <span aria-hidden="true" className="inline-block h-2 w-2 rounded-full" style={{ background: ledgerStatusColor(s) }} />
            <span className="font-mono">{s}</span> <span className="font-semibold tabular-nums">{int(counts.byStatus[s])}</span>
          </span>
        ))}
      </p>
    </div>
  );
}

/** "Predicted … Observed …" in plain words. */
export function observationWords(summary: LedgerSummary, prediction: DrillPrediction | null): string[] {
  const lines: string[] = [];
  const lostOther = LEDGER_STATUSES.filter((s) => s !== 'SEND_OK' && (summary.lost[s] ?? 0) > 0);
  if (summary.lostAcked === 0) {
    lines.push(
      prediction?.sendOkLossPossible
        ? `No SEND_OK message was lost, although these settings allowed it (the fault may have hit an empty unflushed window).`
        : `No SEND_OK message was lost, as predicted.`,
    );
  } else {
    lines.push(
      `${grouped(summary.lostAcked)} of ${grouped(summary.acknowledged.SEND_OK ?? 0)} SEND_OK messages were never consumed — ${
        prediction?.sendOkLossPossible ? 'the prediction allowed this loss' : 'the prediction said none may be: a broken guarantee'
      }.`,
    );
  }
  if (lostOther.length > 0) {
    const allowed = new Set(prediction?.mayLose ?? []);
    const parts = lostOther.map((s) => `${grouped(summary.lost[s])} ${s}${allowed.has(s) || NOT_ACKED.has(s) ? '' : ' (not predicted)'}`);
    lines.push(`Lost with other answers: ${parts.join(', ')}. The producer was told those sends were not (fully) safe, so it could resend them.`);
  }
  if (summary.duplicated > 0) {
    lines.push(
      `${grouped(summary.duplicated)} messages were applied more than once${prediction?.duplicatesPossible ? ' (at-least-once delivery allowed it)' : ' — duplicates were not predicted'}.`,
    );
  } else if (summary.duplicatesSuppressed > 0) {
    lines.push(`${grouped(summary.duplicatesSuppressed)} redeliveries were suppressed by the idempotent consumer: no duplicate effect.`);
  }
  if (summary.unexpected > 0) lines.push(`${grouped(summary.unexpected)} messages were consumed that this run never sent.`);
  if (summary.recovery.rtoMs !== null) {
    lines.push(`Sends failed for ${secs(summary.recovery.rtoMs)} (${grouped(summary.recovery.failedSends)} failed sends) before the first SEND_OK after the fault.`);
  } else if (summary.recovery.failedSends > 0) {
    lines.push(`${grouped(summary.recovery.failedSends)} sends failed after the fault and none succeeded after them.`);
  }
  return lines;
}

export function LedgerView({
  summary,
  prediction,
  verdict,
  verdictReason,
  verdictTestId,
}: {
  summary: LedgerSummary;
  prediction: DrillPrediction | null;
  verdict: Verdict | null;
  verdictReason: string | null;
  verdictTestId?: string;
}) {
  const observed = observationWords(summary, prediction);
  return (
    <div className="grid gap-4">
      {verdict ? (
        <div className={`flex flex-wrap items-start gap-3 rounded-lg border p-3 ${VERDICT_STYLE[verdict].panel}`}>
          <VerdictBadge verdict={verdict} testId={verdictTestId} large />
          <div className="min-w-0 flex-1 text-sm">
            <p className="font-medium">{verdictReason ?? VERDICT_STYLE[verdict].words}</p>
            <p className="text-xs text-slate-600 dark:text-slate-400">{verdict}: {VERDICT_STYLE[verdict].words}.</p>
          </div>
        </div>
      ) : null}

      <div className="grid gap-3 lg:grid-cols-2">
        <div className="rounded-lg border border-slate-200 p-3 text-sm dark:border-slate-800">
          <h3 className="text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">Predicted</h3>
          <p className="mt-1">{prediction?.text ?? 'No prediction was recorded.'}</p>
        </div>
        <div className="rounded-lg border border-slate-200 p-3 text-sm dark:border-slate-800">
          <h3 className="text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">Observed</h3>
          <ul className="mt-1 list-disc space-y-1 pl-4">
            {observed.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </div>
      </div>

      <dl className="grid grid-cols-2 gap-2 sm:grid-cols-4 xl:grid-cols-8">
        <Stat label="attempted" value={int(summary.attempted)} />
        <Stat label="stored" value={int(summary.stored)} hint="distinct, by the broker" />
        <Stat label="consumed" value={int(summary.consumed)} hint="distinct, applied" />
        <Stat label="lost" value={int(summary.lostTotal)} tone={summary.lostTotal > 0 ? 'warn' : 'good'} hint="never applied" />
        <Stat label="lost SEND_OK" value={int(summary.lostAcked)} tone={summary.lostAcked > 0 ? 'bad' : 'good'} hint="acknowledged, then lost" />
        <Stat label="duplicated" value={int(summary.duplicated)} tone={summary.duplicated > 0 ? 'warn' : undefined} hint={`${int(summary.redeliveries)} redeliveries`} />
        <Stat label="sequence gaps" value={int(summary.gaps)} tone={summary.gaps > 0 ? 'warn' : undefined} hint={`${summary.gapStreams.length} streams`} />
        <Stat label="unexpected" value={int(summary.unexpected)} tone={summary.unexpected > 0 ? 'bad' : undefined} hint="consumed, never sent" />
      </dl>

      {summary.transactions ? (
        <div data-testid="drill-transactions">
          <h3 className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">Transactions</h3>
          <dl className="grid grid-cols-2 gap-2 sm:grid-cols-3 xl:grid-cols-6">
            <Stat label="committed" value={int(summary.transactions.committed)} hint="must be consumed" />
            <Stat label="rolled back" value={int(summary.transactions.rolledBack)} hint="must never be delivered" />
            <Stat
              label="rolled back, delivered"
              value={int(summary.transactions.rolledBackDelivered)}
              tone={summary.transactions.rolledBackDelivered > 0 ? 'bad' : 'good'}
              hint="a half-applied transaction"
            />
            <Stat label="half open at the crash" value={int(summary.transactions.halfOpen)} hint="half message stored, no commit or rollback sent" />
            <Stat
              label="resolved by check-back"
              value={`${int(summary.transactions.halfOpenResolved)} / ${int(summary.transactions.halfOpen)}`}
              tone={summary.transactions.halfOpenResolved < summary.transactions.halfOpen ? 'bad' : 'good'}
              hint={`${int(summary.transactions.checksAnswered)} check-backs answered`}
            />
            <Stat label="still open at the end" value={int(summary.transactions.openAtEnd)} tone={summary.transactions.openAtEnd > 0 ? 'warn' : undefined} hint="neither committed nor rolled back" />
          </dl>
        </div>
      ) : null}

      <div className="grid gap-3 lg:grid-cols-3">
        <LossByStatus summary={summary} prediction={prediction} />
        <RecoveryNotes summary={summary} />
      </div>

      <LedgerDetails summary={summary} />
    </div>
  );
}
