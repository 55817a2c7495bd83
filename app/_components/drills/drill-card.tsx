'use client';
/**
 * One drill of the catalog: what it does and proves, the settings it runs under now and what they
 * predict, the capabilities it needs, and a Run button with optional overrides. Destructive drills
 * (power loss, master disk loss) ask first, naming the target.
 */
import { useId, useState, type FormEvent } from 'react';
import type { DrillRunInput, DrillSpecView } from '@/server/drills/types';
import { Button } from '../ui/button';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { DESTRUCTIVE, SettingChips, settingKeys, settingValue } from './common';
import { useCan } from '../../_lib/session';

export interface CurrentSettings {
  broker: Record<string, unknown> | null;
  traffic: { sendMode: string; ackMode: string; idempotent: boolean };
}

/** the run options a card offers, which the server's field errors may name */
export const RUN_FIELDS = ['rate', 'durationSec', 'consumers', 'seed', 'sendMode', 'ackMode', 'idempotent', 'labBug'] as const;
type Field = (typeof RUN_FIELDS)[number];

const NUMBER_RULES: Record<'rate' | 'durationSec' | 'consumers' | 'seed', { min: number; max: number; unit: string }> = {
  rate: { min: 1, max: 2000, unit: 'msg/s' },
  durationSec: { min: 3, max: 300, unit: 's' },
  consumers: { min: 1, max: 4, unit: 'consumers' },
  seed: { min: 0, max: 4_294_967_295, unit: '(32 bits)' },
};

function checkNumber(field: keyof typeof NUMBER_RULES, raw: string): string | null {
  if (raw.trim() === '') return null;
  const n = Number(raw);
  const r = NUMBER_RULES[field];
  if (!Number.isInteger(n)) return `${field} must be a whole number`;
  if (n < r.min) return `${field} must be at least ${r.min} ${r.unit}`;
  if (n > r.max) return `${field} must be at most ${r.max} ${r.unit}`;
  return null;
}

export function DrillCard({
  spec,
  current,
  otherRunning,
  starting,
  serverError,
  serverInvalid,
  target,
  targetName,
  onRun,
}: {
  spec: DrillSpecView;
  current: CurrentSettings;
  /** a drill runs now (this one or another): no second run */
  otherRunning: string | null;
  /** this card's run request is in flight */
  starting: boolean;
  serverError: string | null;
  serverInvalid: Set<string>;
  /** words naming what a destructive drill destroys */
  target: string;
  /** the name the user types to confirm a destructive drill (the master's process name) */
  targetName: string;
  onRun(input: DrillRunInput): void;
}) {
  const uid = useId();
  const titleId = `${uid}-title`;
  const [values, setValues] = useState<Record<Field, string>>({ rate: '', durationSec: '', consumers: '', seed: '', sendMode: '', ackMode: '', idempotent: '', labBug: '' });
  const [confirming, setConfirming] = useState(false);
  const can = useCan('drill');

  const errors: Partial<Record<Field, string>> = {};
  for (const f of ['rate', 'durationSec', 'consumers', 'seed'] as const) {
    const e = checkNumber(f, values[f]);
    if (e) errors[f] = e;
  }
  const invalid = Object.keys(errors).length > 0;

  const missing = spec.capabilities.filter((c) => !c.available);
  const chosenBug = spec.labBugs.find((b) => b.name === values.labBug);
  const disabledReason = !can.allowed
    ? can.reason ?? 'your role may not run drills'
    : otherRunning
    ? `${otherRunning} is running: one drill at a time`
    : !spec.runnable
      ? spec.waitingFor ?? 'not runnable now'
      : invalid
        ? 'fix the options first'
        : null;

  const input = (): DrillRunInput => {
    const out: DrillRunInput = { drillId: spec.id };
    if (values.rate.trim()) out.rate = Number(values.rate);
    if (values.durationSec.trim()) out.durationSec = Number(values.durationSec);
    if (values.consumers.trim()) out.consumers = Number(values.consumers);
    if (values.seed.trim()) out.seed = Number(values.seed);
    if (values.sendMode) out.sendMode = values.sendMode as DrillRunInput['sendMode'];
    if (values.ackMode) out.ackMode = values.ackMode as DrillRunInput['ackMode'];
    if (values.idempotent) out.idempotent = values.idempotent === 'yes';
    if (values.labBug) out.labBug = values.labBug as DrillRunInput['labBug'];
    return out;
  };

  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    if (disabledReason) return;
    if (DESTRUCTIVE[spec.id]) setConfirming(true);
    else onRun(input());
  };

  const settingsNow = {
    broker: (current.broker ?? {}) as never,
    traffic: {
      ...current.traffic,
      sendMode: values.sendMode || current.traffic.sendMode,
      ackMode: values.ackMode || current.traffic.ackMode,
      idempotent: values.idempotent ? values.idempotent === 'yes' : current.traffic.idempotent,
      rate: values.rate.trim() ? Number(values.rate) : spec.timing.rate,
      durationSec: values.durationSec.trim() ? Number(values.durationSec) : spec.timing.durationSec,
    } as never,
  };
  const chips = settingKeys(spec.relevantSettings).map((key) => ({ key, value: settingValue(settingsNow, key) }));
  const overridden = Boolean(values.sendMode || values.ackMode || values.idempotent || values.rate.trim());

  const fieldCls = (f: Field) =>
    `mt-0.5 w-full rounded-md border bg-white px-2 py-1 text-sm dark:bg-slate-950 focus-visible:outline-2 focus-visible:outline-emerald-500 ${
      errors[f] || serverInvalid.has(f) ? 'border-red-500 dark:border-red-500' : 'border-slate-300 dark:border-slate-700'
    }`;
  const fieldProps = (f: Field) => ({
    id: `${uid}-${f}`,
    name: f,
    'aria-invalid': errors[f] || serverInvalid.has(f) ? true : undefined,
    'aria-describedby': errors[f] ? `${uid}-${f}-err` : undefined,
    className: fieldCls(f),
    value: values[f],
    onChange: (e: { target: { value: string } }) => setValues((v) => ({ ...v, [f]: e.target.value })),
  });

  return (
    <section
      aria-labelledby={titleId}
      data-testid={`drill-card-${spec.id}`}
      className="flex min-w-0 flex-col gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900"
    >
      <header className="flex flex-wrap items-start justify-between gap-2">
        <div className="min-w-0">
          <h3 id={titleId} className="font-semibold leading-tight">
            {spec.title}
          </h3>
          <p className="font-mono text-xs text-slate-500 dark:text-slate-400">{spec.id}</p>
        </div>
        {DESTRUCTIVE[spec.id] ? (
          <span className="rounded-full bg-red-100 px-2 py-0.5 text-xs font-medium text-red-800 ring-1 ring-inset ring-red-300 dark:bg-red-950 dark:text-red-200 dark:ring-red-800">
            destroys data
          </span>
        ) : null}
      </header>

      <div className="grid gap-1.5 text-sm">
        <p>
          <span className="font-medium">Does: </span>
          <span className="text-slate-700 dark:text-slate-300">{spec.does}</span>
        </p>
        <p>
          <span className="font-medium">Proves: </span>
          <span className="text-slate-700 dark:text-slate-300">{spec.proves}</span>
        </p>
        <p className="text-xs text-slate-500 dark:text-slate-400">
          Fault: {spec.fault}. Recovery: {spec.recovery}. {spec.timing.durationSec} s at {spec.timing.rate} msg/s, fault at{' '}
          {Math.round(spec.timing.faultAt * 100)}% ± 10% (the seed decides).
        </p>
      </div>

      <div className="grid gap-1.5">
        <SettingChips items={chips} label={`Settings ${spec.title} runs under`} />
        <div className="rounded-lg border border-sky-200 bg-sky-50 p-2.5 text-sm dark:border-sky-900 dark:bg-sky-950/40">
          <p className="text-xs font-semibold uppercase tracking-wide text-sky-800 dark:text-sky-300">Prediction for the current settings</p>
          <p data-testid={`drill-prediction-${spec.id}`} className="mt-0.5 text-slate-800 dark:text-slate-200">
            {spec.prediction.text}
          </p>
          <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">
            SEND_OK loss possible: <strong>{spec.prediction.sendOkLossPossible ? 'yes' : 'no'}</strong>
            {spec.prediction.duplicatesPossible ? ' · duplicates possible' : ''}
            {spec.prediction.expectedStatuses.length > 0 ? ` · expect ${spec.prediction.expectedStatuses.join(', ')}` : ''}
          </p>
          {overridden ? (
            <p className="mt-1 text-xs text-amber-800 dark:text-amber-300">
              Your overrides are not in this prediction yet; the run shows the prediction it is judged against.
            </p>
          ) : null}
        </div>
      </div>

      {missing.length > 0 || spec.waitingFor ? (
        <div className="text-xs">
          <p className="font-medium text-amber-800 dark:text-amber-300">Cannot run yet</p>
          <ul className="mt-0.5 list-disc space-y-0.5 pl-4 text-slate-600 dark:text-slate-400">
            {missing.map((c) => (
              <li key={c.id}>
                <span className="font-medium">{c.label}</span>: {c.reason ?? 'not available'}
              </li>
            ))}
            {missing.length === 0 && spec.waitingFor ? <li>{spec.waitingFor}</li> : null}
          </ul>
        </div>
      ) : null}

      <form onSubmit={submit} className="mt-auto grid gap-2" aria-label={`Run ${spec.title}`} noValidate>
        <details className="rounded-lg border border-slate-200 text-sm dark:border-slate-800">
          <summary className="cursor-pointer select-none rounded-lg px-2.5 py-1.5 text-xs font-medium text-slate-600 focus-visible:outline-2 focus-visible:outline-emerald-500 dark:text-slate-300">
            Options (rate, duration, send mode, ack mode, idempotence, seed)
          </summary>
          <div className="grid grid-cols-2 gap-2 px-2.5 pb-2.5 sm:grid-cols-3">
            <label className="text-xs" htmlFor={`${uid}-rate`}>
              rate (msg/s)
              <input type="number" inputMode="numeric" min={1} max={2000} step={1} placeholder={String(spec.timing.rate)} {...fieldProps('rate')} />
            </label>
            <label className="text-xs" htmlFor={`${uid}-durationSec`}>
              duration (s)
              <input type="number" inputMode="numeric" min={3} max={300} step={1} placeholder={String(spec.timing.durationSec)} {...fieldProps('durationSec')} />
            </label>
            <label className="text-xs" htmlFor={`${uid}-consumers`}>
              consumers
              <input type="number" inputMode="numeric" min={1} max={4} step={1} placeholder="default" {...fieldProps('consumers')} />
            </label>
            <label className="text-xs" htmlFor={`${uid}-sendMode`}>
              send mode
              <select {...fieldProps('sendMode')}>
                <option value="">current ({current.traffic.sendMode})</option>
                <option value="sync">sync</option>
                <option value="async">async</option>
                <option value="async-unchecked">async-unchecked</option>
                <option value="oneway">oneway</option>
              </select>
            </label>
            <label className="text-xs" htmlFor={`${uid}-ackMode`}>
              consumer ack
              <select {...fieldProps('ackMode')}>
                <option value="">current ({current.traffic.ackMode})</option>
                <option value="after-processing">after-processing</option>
                <option value="before-processing">before-processing</option>
              </select>
            </label>
            <label className="text-xs" htmlFor={`${uid}-idempotent`}>
              idempotent consumer
              <select {...fieldProps('idempotent')}>
                <option value="">current ({current.traffic.idempotent ? 'yes' : 'no'})</option>
                <option value="yes">yes</option>
                <option value="no">no</option>
              </select>
            </label>
            <label className="text-xs" htmlFor={`${uid}-seed`}>
              seed
              <input type="number" inputMode="numeric" min={0} step={1} placeholder="random" {...fieldProps('seed')} />
            </label>
            {(['rate', 'durationSec', 'consumers', 'seed'] as const).map((f) =>
              errors[f] ? (
                <p key={f} id={`${uid}-${f}-err`} role="alert" className="col-span-full text-xs text-red-700 dark:text-red-300">
                  {errors[f]}
                </p>
              ) : null,
            )}
          </div>
        </details>
        <label className="text-xs" htmlFor={`${uid}-labBug`}>
          run with a deliberate bug (lab only: what would it cost?)
          <select data-testid={`drill-lab-bug-${spec.id}`} {...fieldProps('labBug')}>
            <option value="">no bug</option>
            {spec.labBugs.map((bug) => (
              <option key={bug.name} value={bug.name}>
                {bug.name} ({bug.process}){bug.caughtBy === spec.id ? ': caught here' : ''}
              </option>
            ))}
          </select>
        </label>
        {chosenBug ? (
          <p data-testid={`drill-lab-bug-note-${spec.id}`} className="text-xs text-amber-800 dark:text-amber-300">
            {chosenBug.name}: {chosenBug.breaks}. On for this run only, in the {chosenBug.process} (restarted with it, and without it afterwards); judged like any other run.
            {chosenBug.caughtBy === spec.id ? '' : ` The drill that catches it is ${chosenBug.caughtBy}.`}
          </p>
        ) : null}
        {serverError ? (
          <p role="alert" className="text-xs text-red-700 dark:text-red-300">
            {serverError}
          </p>
        ) : null}
        <div className="flex flex-wrap items-center gap-2">
          <Button
            type="submit"
            variant={DESTRUCTIVE[spec.id] ? 'danger' : 'primary'}
            data-testid={`drill-run-${spec.id}`}
            disabled={disabledReason !== null}
            busy={starting}
            aria-describedby={disabledReason ? `${uid}-why` : undefined}
            title={disabledReason ?? undefined}
          >
            {DESTRUCTIVE[spec.id] ? 'Run…' : 'Run'}
          </Button>
          {disabledReason ? (
            <span id={`${uid}-why`} className="text-xs text-slate-500 dark:text-slate-400">
              {disabledReason}
            </span>
          ) : null}
        </div>
      </form>

      <ConfirmDialog
        open={confirming}
        title={`Run “${spec.title}”?`}
        confirmLabel={spec.id.startsWith('power-loss') ? 'Cut the power' : 'Destroy the disk'}
        confirmText={targetName}
        onCancel={() => setConfirming(false)}
        onConfirm={() => {
          setConfirming(false);
          onRun(input());
        }}
      >
        <p>{target}</p>
        <p className="mt-2">The drill then recovers the cluster and counts every message. It cannot be undone once the fault fires.</p>
      </ConfirmDialog>
    </section>
  );
}
