'use client';
/**
 * What a drill card lets the user change for one run: rate, duration, consumers, seed, send mode,
 * consumer ack, idempotence (empty = the drill's or the current setting), and a deliberate lab bug.
 * The numbers are checked here against the server's bounds before Run; the server checks them again
 * and names the fields it refuses (`serverInvalid`).
 */
import { useId } from 'react';
import type { DrillRunInput, DrillSpecView } from '@/server/drills/types';
import { DRILL_TRAFFIC_LIMITS } from '@/server/drills/limits';

/** The settings in force, for the "current (…)" choice of each option and the card's prediction. */
export interface CurrentSettings {
  broker: Record<string, unknown> | null;
  traffic: { sendMode: string; ackMode: string; idempotent: boolean };
}

/** the run options a card offers, which the server's field errors may name */
export const RUN_FIELDS = ['rate', 'durationSec', 'consumers', 'seed', 'sendMode', 'ackMode', 'idempotent', 'labBug'] as const;
type Field = (typeof RUN_FIELDS)[number];
/** the text of each option as typed or chosen; '' = not overridden */
export type RunValues = Record<Field, string>;
export const NO_OVERRIDES: RunValues = { rate: '', durationSec: '', consumers: '', seed: '', sendMode: '', ackMode: '', idempotent: '', labBug: '' };

const NUMBER_RULES: Record<'rate' | 'durationSec' | 'consumers' | 'seed', { min: number; max: number; unit: string }> = {
  ...DRILL_TRAFFIC_LIMITS,
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

export function optionErrors(values: RunValues): Partial<Record<Field, string>> {
  const errors: Partial<Record<Field, string>> = {};
  for (const f of ['rate', 'durationSec', 'consumers', 'seed'] as const) {
    const e = checkNumber(f, values[f]);
    if (e) errors[f] = e;
  }
  return errors;
}

/** The run request: the drill and every option that was given. */
export function runInput(drillId: DrillRunInput['drillId'], values: RunValues): DrillRunInput {
  const out: DrillRunInput = { drillId };
  if (values.rate.trim()) out.rate = Number(values.rate);
  if (values.durationSec.trim()) out.durationSec = Number(values.durationSec);
  if (values.consumers.trim()) out.consumers = Number(values.consumers);
  if (values.seed.trim()) out.seed = Number(values.seed);
  if (values.sendMode) out.sendMode = values.sendMode as DrillRunInput['sendMode'];
  if (values.ackMode) out.ackMode = values.ackMode as DrillRunInput['ackMode'];
  if (values.idempotent) out.idempotent = values.idempotent === 'yes';
  if (values.labBug) out.labBug = values.labBug as DrillRunInput['labBug'];
  return out;
}

export function RunOptions({
  spec,
  current,
  values,
  onChange,
  errors,
  serverInvalid,
}: {
  spec: DrillSpecView;
  current: CurrentSettings;
  values: RunValues;
  onChange(field: Field, value: string): void;
  errors: Partial<Record<Field, string>>;
  serverInvalid: Set<string>;
}) {
  const uid = useId();
  const chosenBug = spec.labBugs.find((b) => b.name === values.labBug);
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
    onChange: (e: { target: { value: string } }) => onChange(f, e.target.value),
  });

  return (
    <>
      <details className="rounded-lg border border-slate-200 text-sm dark:border-slate-800">
        <summary className="cursor-pointer select-none rounded-lg px-2.5 py-1.5 text-xs font-medium text-slate-600 focus-visible:outline-2 focus-visible:outline-emerald-500 dark:text-slate-300">
          Options (rate, duration, send mode, ack mode, idempotence, seed)
        </summary>
        <div className="grid grid-cols-2 gap-2 px-2.5 pb-2.5 sm:grid-cols-3">
          <label className="text-xs" htmlFor={`${uid}-rate`}>
            rate (msg/s)
            <input type="number" inputMode="numeric" min={NUMBER_RULES.rate.min} max={NUMBER_RULES.rate.max} step={1} placeholder={String(spec.timing.rate)} {...fieldProps('rate')} />
          </label>
          <label className="text-xs" htmlFor={`${uid}-durationSec`}>
            duration (s)
            <input type="number" inputMode="numeric" min={NUMBER_RULES.durationSec.min} max={NUMBER_RULES.durationSec.max} step={1} placeholder={String(spec.timing.durationSec)} {...fieldProps('durationSec')} />
          </label>
          <label className="text-xs" htmlFor={`${uid}-consumers`}>
            consumers
            <input type="number" inputMode="numeric" min={NUMBER_RULES.consumers.min} max={NUMBER_RULES.consumers.max} step={1} placeholder="default" {...fieldProps('consumers')} />
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
    </>
  );
}
