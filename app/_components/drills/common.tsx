/**
 * Client-side constants and small pieces shared by the Drills and Replay pages: phases, verdict
 * colours, settings read-outs. Server code is imported as types only.
 */
import type { ReactNode } from 'react';
import type {
  DrillId,
  DrillPhase,
  DrillRunSettings,
  DrillRunStatus,
  LedgerStatus,
  Verdict,
} from '@/server/drills/types';
import type { OutcomeStatus } from '@/server/live/types';
import { STATUS_COLOR } from '../../_lib/status';
import type { RouterOutputs } from '../../_lib/trpc';

/** One recorded run as drills.get returns it: settings, verdict, samples, events, ledger, anomalies. */
export type DrillRunDetail = RouterOutputs['drills']['get'];

/** The one list of each, from the drills contract (server/drills/types.ts). */
export { LEDGER_STATUSES, VERDICTS, DRILL_IDS, LEDGER_STAGES } from '@/server/drills/types';

/** The phases a run walks through, in order ('failed' replaces whatever comes next). */
export const PHASE_STEPS: readonly DrillPhase[] = ['starting', 'traffic', 'fault', 'recovering', 'draining', 'judging', 'done'];

export const PHASE_LABEL: Record<DrillPhase, string> = {
  starting: 'Starting',
  traffic: 'Traffic',
  fault: 'Fault',
  recovering: 'Recovering',
  draining: 'Draining',
  judging: 'Judging',
  done: 'Done',
  failed: 'Failed',
};

/** The form of a run id, as drills.run returns it and drills.get accepts it (server/drills/types.ts). */
export { RUN_ID_PATTERN } from '@/server/drills/types';

/** Drills that destroy data on purpose: they ask for a confirmation naming the target. */
export const DESTRUCTIVE: Partial<Record<DrillId, true>> = {
  'power-loss': true, 'master-disk-loss': true, 'power-loss-slow-disk': true,
  // they end in a master disk loss or a power cut
  'slave-down': true, 'partition-master-slave': true, 'slow-disk': true,
};

export function ledgerStatusColor(status: LedgerStatus): string {
  return status === 'UNKNOWN' ? '#64748b' : STATUS_COLOR[status as OutcomeStatus];
}

export const VERDICT_STYLE: Record<Verdict, { badge: string; panel: string; words: string }> = {
  PASS: {
    badge: 'bg-emerald-700 text-white dark:bg-emerald-500 dark:text-emerald-950',
    panel: 'border-emerald-300 bg-emerald-50 dark:border-emerald-800 dark:bg-emerald-950/40',
    words: 'no guarantee was broken and the observation matches the prediction',
  },
  LOSS_EXPECTED: {
    badge: 'bg-amber-500 text-amber-950 dark:bg-amber-400 dark:text-amber-950',
    panel: 'border-amber-300 bg-amber-50 dark:border-amber-800 dark:bg-amber-950/40',
    words: 'messages were lost, and these settings said they could be',
  },
  FAIL: {
    badge: 'bg-red-600 text-white dark:bg-red-500 dark:text-red-950',
    panel: 'border-red-300 bg-red-50 dark:border-red-800 dark:bg-red-950/40',
    words: 'a guarantee these settings promise was broken',
  },
};

export const RUN_STATUS_BADGE: Record<DrillRunStatus, string> = {
  running: 'bg-sky-100 text-sky-800 ring-sky-300 dark:bg-sky-950 dark:text-sky-200 dark:ring-sky-800',
  done: 'bg-slate-100 text-slate-700 ring-slate-300 dark:bg-slate-800 dark:text-slate-200 dark:ring-slate-600',
  failed: 'bg-red-100 text-red-800 ring-red-300 dark:bg-red-950 dark:text-red-200 dark:ring-red-800',
  cancelled: 'bg-amber-100 text-amber-800 ring-amber-300 dark:bg-amber-950 dark:text-amber-200 dark:ring-amber-800',
};

export function VerdictBadge({ verdict, testId, large = false }: { verdict: Verdict; testId?: string; large?: boolean }) {
  return (
    <span
      data-testid={testId}
      className={`inline-block rounded-md font-mono font-bold tracking-wide ${large ? 'px-3 py-1 text-lg' : 'px-2 py-0.5 text-xs'} ${VERDICT_STYLE[verdict].badge}`}
    >
      {verdict}
    </span>
  );
}

export function RunStatusBadge({ status }: { status: DrillRunStatus }) {
  return (
    <span className={`inline-block rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${RUN_STATUS_BADGE[status]}`}>{status}</span>
  );
}

/** A run's outcome: its verdict once judged, else its status (running, failed, cancelled). */
export function RunOutcomeBadge({ run }: { run: { verdict: Verdict | null; status: DrillRunStatus } }) {
  return run.verdict ? <VerdictBadge verdict={run.verdict} /> : <RunStatusBadge status={run.status} />;
}

/** A value of the run settings by key: broker keys first, then the traffic ones (sendMode, ackMode, idempotent…). */
export function settingValue(settings: Pick<DrillRunSettings, 'broker' | 'traffic'> | null | undefined, key: string): string | null {
  if (!settings) return null;
  const broker = settings.broker as unknown as Record<string, unknown> | undefined;
  const traffic = settings.traffic as unknown as Record<string, unknown> | undefined;
  const v = broker && key in broker ? broker[key] : traffic && key in traffic ? traffic[key] : undefined;
  if (v === undefined || v === null) return null;
  return typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v);
}

/** flushDiskType and brokerRole always, then the drill's own relevant settings. */
export function settingKeys(relevant: readonly string[] | undefined): string[] {
  const keys = ['flushDiskType', 'brokerRole', ...(relevant ?? [])];
  return keys.filter((k, i) => keys.indexOf(k) === i);
}

/** Settings as small key=value chips. */
export function SettingChips({ items, label }: { items: { key: string; value: string | null }[]; label: string }) {
  return (
    <dl aria-label={label} className="flex flex-wrap gap-1.5 text-xs">
      {items.map(({ key, value }) => (
        <div
          key={key}
          className="flex items-center gap-1 rounded-md bg-slate-100 px-1.5 py-0.5 ring-1 ring-inset ring-slate-200 dark:bg-slate-800 dark:ring-slate-700"
        >
          <dt className="text-slate-500 dark:text-slate-400">{key}</dt>
          <dd className="font-mono font-medium text-slate-900 dark:text-slate-100">{value ?? '–'}</dd>
        </div>
      ))}
    </dl>
  );
}

/** "12.3 s" for a duration in ms. */
export function secs(msValue: number | null | undefined, digits = 1): string {
  if (msValue === null || msValue === undefined || !Number.isFinite(msValue)) return '–';
  return `${(msValue / 1000).toFixed(digits)} s`;
}

/** "+01:02.5" for ms since a run's start. */
export function runClock(t: number): string {
  const s = Math.max(0, t) / 1000;
  const m = Math.floor(s / 60);
  const rest = s - m * 60;
  return `${String(m).padStart(2, '0')}:${rest.toFixed(1).padStart(4, '0')}`;
}

export function Notice({ tone = 'info', children, role }: { tone?: 'info' | 'warn' | 'error'; children: ReactNode; role?: 'alert' | 'status' }) {
  const cls =
    tone === 'error'
      ? 'border-red-200 bg-red-50 text-red-800 dark:border-red-900 dark:bg-red-950/40 dark:text-red-200'
      : tone === 'warn'
        ? 'border-amber-200 bg-amber-50 text-amber-900 dark:border-amber-900 dark:bg-amber-950/40 dark:text-amber-200'
        : 'border-slate-200 bg-slate-50 text-slate-700 dark:border-slate-800 dark:bg-slate-900 dark:text-slate-300';
  return (
    <div role={role} className={`rounded-lg border px-3 py-2 text-sm ${cls}`}>
      {children}
    </div>
  );
}
