'use client';
/**
 * One drill of the catalog: what it does and proves, the settings it runs under now and what they
 * predict, the capabilities it needs, and a Run button with optional overrides
 * (./drill-run-options.tsx). Destructive drills (power loss, master disk loss) ask first, naming the
 * target.
 */
import { useId, useState, type FormEvent } from 'react';
import type { DrillRunInput, DrillSpecView } from '@/server/drills/types';
import type { SimulateInput } from '@/server/sim/sim-service';
import { Button } from '../ui/button';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { DESTRUCTIVE, SettingChips, settingKeys, settingValue } from './common';
import { useCan } from '../../_lib/session';
import { NO_OVERRIDES, optionErrors, RunOptions, runInput, type CurrentSettings, type RunValues } from './drill-run-options';



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
  simulateBlocked,
  simulating,
  simulateError,
  onSimulate,
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
  /** why Simulate is not offered now (a drill or another simulation runs), or null */
  simulateBlocked: string | null;
  /** this card's simulate request is in flight */
  simulating: boolean;
  simulateError: string | null;
  onSimulate(input: SimulateInput): void;
}) {
  const uid = useId();
  const titleId = `${uid}-title`;
  const [values, setValues] = useState<RunValues>(NO_OVERRIDES);
  const [confirming, setConfirming] = useState(false);
  const [seeds, setSeeds] = useState('200');
  const seedsError = /^\d+$/.test(seeds.trim()) && Number(seeds) >= 1 && Number(seeds) <= 5000 ? null : 'seeds must be a whole number from 1 to 5000';
  const can = useCan('drill');

  const errors = optionErrors(values);
  const invalid = Object.keys(errors).length > 0;

  const missing = spec.capabilities.filter((c) => !c.available);
  const disabledReason = !can.allowed
    ? can.reason ?? 'your role may not run drills'
    : otherRunning
    ? `${otherRunning} is running: one drill at a time`
    : !spec.runnable
      ? spec.waitingFor ?? 'not runnable now'
      : invalid
        ? 'fix the options first'
        : null;

  const input = () => runInput(spec.id, values);
  const simulateReason = !can.allowed ? can.reason ?? 'your role may not run drills' : simulateBlocked ?? (invalid || seedsError ? 'fix the options first' : null);
  const simulate = () => {
    if (simulateReason || !spec.simulated) return;
    const { seed: _seed, ...rest } = input();
    void _seed;
    onSimulate({ ...rest, drillId: spec.id as SimulateInput['drillId'], seeds: Number(seeds) });
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
        <RunOptions spec={spec} current={current} values={values} onChange={(field, value) => setValues((v) => ({ ...v, [field]: value }))} errors={errors} serverInvalid={serverInvalid} />
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
        {spec.simulated ? (
          <div className="flex flex-wrap items-center gap-2 border-t border-slate-100 pt-2 dark:border-slate-800">
            <label className="flex items-center gap-1 text-xs text-slate-600 dark:text-slate-400">
              Seeds
              <input
                type="number"
                inputMode="numeric"
                min={1}
                max={5000}
                value={seeds}
                onChange={(e) => setSeeds(e.target.value)}
                aria-invalid={seedsError ? true : undefined}
                data-testid={`drill-sim-seeds-${spec.id}`}
                className="w-20 rounded border border-slate-300 bg-white px-1.5 py-0.5 text-xs dark:border-slate-700 dark:bg-slate-950"
              />
            </label>
            <Button
              data-testid={`drill-simulate-${spec.id}`}
              disabled={simulateReason !== null}
              busy={simulating}
              title={simulateReason ?? 'Run this drill over many seeds on the deterministic simulator (simulated, seconds)'}
              onClick={simulate}
            >
              Simulate
            </Button>
            <span className="text-xs text-slate-500 dark:text-slate-400">{simulateReason ?? seedsError ?? 'the same drill on a simulated machine, many seeds'}</span>
            {simulateError ? (
              <p role="alert" className="w-full text-xs text-red-700 dark:text-red-300">
                {simulateError}
              </p>
            ) : null}
          </div>
        ) : null}
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
