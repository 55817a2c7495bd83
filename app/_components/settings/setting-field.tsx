'use client';
/**
 * One setting: RocketMQ's name, its one-line meaning, the default (and "changed" when the current
 * value differs), how a change takes effect here and on stock RocketMQ, and an input suited to its type.
 */
import type { SettingInfo } from '@/server/settings/schema';
import { DISABLED_OPTIONS, readable, short, type SettingMeta } from './setting-meta';
import { inputBase as inputClass } from '../ui/form';


const badge = 'inline-flex items-center whitespace-nowrap rounded px-1.5 py-0.5 text-[11px] font-medium ring-1';

const STOCK_LABEL: Record<SettingInfo['stockRocketMQ'], { text: string; title: string; cls: string }> = {
  live: {
    text: 'RocketMQ: live',
    title: 'Stock RocketMQ applies it at runtime (mqadmin updateBrokerConfig)',
    cls: 'bg-emerald-50 text-emerald-800 ring-emerald-200 dark:bg-emerald-950/60 dark:text-emerald-200 dark:ring-emerald-900',
  },
  restart: {
    text: 'RocketMQ: restart',
    title: 'Stock RocketMQ reads it only at broker startup',
    cls: 'bg-amber-50 text-amber-800 ring-amber-200 dark:bg-amber-950/60 dark:text-amber-200 dark:ring-amber-900',
  },
  client: {
    text: 'RocketMQ: client-side',
    title: 'In RocketMQ this is a client setting (producer or consumer), not a broker key',
    cls: 'bg-sky-50 text-sky-800 ring-sky-200 dark:bg-sky-950/60 dark:text-sky-200 dark:ring-sky-900',
  },
};

export function SettingField({
  meta,
  info,
  current,
  defaultValue,
  draft,
  error,
  disabled,
  onChange,
}: {
  meta: SettingMeta;
  info: SettingInfo;
  current: unknown;
  defaultValue: unknown;
  /** the edited text, or undefined when untouched */
  draft: string | undefined;
  error: string | undefined;
  disabled: boolean;
  onChange(text: string | undefined): void;
}) {
  const key = meta.key;
  const value = draft ?? String(current);
  const edited = draft !== undefined && draft !== String(current);
  const changed = current !== defaultValue;
  const inputId = `setting-input-${key}`;
  const hintId = `setting-hint-${key}`;
  const errorId = `setting-error-${key}`;
  const describedBy = [hintId, error ? errorId : ''].filter(Boolean).join(' ');
  const invalid = error ? { 'aria-invalid': true as const, 'aria-errormessage': errorId } : {};
  const stock = STOCK_LABEL[info.stockRocketMQ];
  const set = (text: string) => onChange(text === String(current) ? undefined : text);

  return (
    <div
      data-setting={key}
      className={`grid gap-2 py-3 sm:grid-cols-[minmax(0,1fr)_minmax(11rem,16rem)] sm:gap-4 ${
        edited ? '-mx-2 rounded-md bg-violet-50/70 px-2 dark:bg-violet-950/30' : ''
      }`}
    >
      <div className="min-w-0">
        <div className="flex flex-wrap items-center gap-1.5">
          <label htmlFor={inputId} className="break-all font-mono text-sm font-semibold">
            {key}
          </label>
          {changed ? (
            <span className={`${badge} bg-violet-100 text-violet-800 ring-violet-300 dark:bg-violet-950 dark:text-violet-200 dark:ring-violet-800`} title="differs from the default">
              changed
            </span>
          ) : null}
          {edited ? (
            <span className={`${badge} bg-slate-900 text-white ring-slate-900 dark:bg-slate-100 dark:text-slate-900`}>unapplied</span>
          ) : null}
          <span
            className={`${badge} ${
              info.live
                ? 'bg-emerald-50 text-emerald-800 ring-emerald-200 dark:bg-emerald-950/60 dark:text-emerald-200 dark:ring-emerald-900'
                : 'bg-amber-50 text-amber-800 ring-amber-200 dark:bg-amber-950/60 dark:text-amber-200 dark:ring-amber-900'
            }`}
            title={info.live ? 'Zeroloss pushes the change to the running broker at once' : info.group === 'controller' ? 'Fixed for the life of a process: applying it restarts every broker and the controller' : 'Zeroloss applies it at the next broker start'}
          >
            {info.live ? 'live in Zeroloss' : info.group === 'controller' ? 'restarts the cluster' : 'restart'}
          </span>
          {info.runBy === 'controller' ? (
            <span className={`${badge} bg-slate-100 text-slate-700 ring-slate-300 dark:bg-slate-800 dark:text-slate-200 dark:ring-slate-600`} title="The controller process runs it; the brokers only carry it">
              controller
            </span>
          ) : null}
          <span className={`${badge} ${stock.cls}`} title={stock.title}>
            {stock.text}
          </span>
        </div>
        <p id={hintId} className="mt-1 text-xs text-slate-600 dark:text-slate-400">
          {info.summary}{' '}
          <span className="text-slate-500 dark:text-slate-500">
            Default <span className="font-mono">{readable(meta, defaultValue)}</span>
            {changed && !edited ? (
              <>
                , now <span className="font-mono text-violet-700 dark:text-violet-300">{short(meta, current)}</span>
              </>
            ) : null}
            .
          </span>
        </p>
      </div>
      <div className="min-w-0">
        {meta.kind === 'enum' || meta.kind === 'boolean' ? (
          <Segmented
            id={inputId}
            testId={`setting-${key}`}
            options={meta.options}
            disabledOptions={DISABLED_OPTIONS[key] ?? {}}
            value={value}
            disabled={disabled}
            describedBy={describedBy}
            invalid={Boolean(error)}
            onChange={set}
          />
        ) : meta.kind === 'number' ? (
          <div className="flex items-center gap-1.5">
            <input
              id={inputId}
              data-testid={`setting-${key}`}
              name={key}
              type="number"
              inputMode="numeric"
              step={1}
              min={meta.min}
              max={meta.max}
              value={value}
              disabled={disabled}
              onChange={(e) => set(e.target.value)}
              aria-describedby={describedBy}
              className={inputClass}
              {...invalid}
            />
            {meta.unit ? <span className="w-10 shrink-0 text-xs text-slate-500 dark:text-slate-400">{meta.unit}</span> : null}
          </div>
        ) : (
          <input
            id={inputId}
            data-testid={`setting-${key}`}
            name={key}
            type="text"
            spellCheck={false}
            value={value}
            disabled={disabled}
            onChange={(e) => set(e.target.value)}
            aria-describedby={describedBy}
            className={`${inputClass} font-mono text-xs`}
            {...invalid}
          />
        )}
        {meta.kind === 'number' && draft !== undefined && meta.unit && Number.isFinite(Number(draft)) && draft.trim() !== '' ? (
          <p className="mt-1 text-[11px] text-slate-500 dark:text-slate-400">{readable(meta, Number(draft))}</p>
        ) : null}
        {edited ? (
          <button
            type="button"
            onClick={() => onChange(undefined)}
            className="mt-1 rounded text-[11px] text-slate-500 underline-offset-2 hover:underline focus-visible:outline-2 focus-visible:outline-emerald-500 dark:text-slate-400"
          >
            undo (was {short(meta, current)})
          </button>
        ) : null}
        {error ? (
          <p id={errorId} role="alert" data-testid={`setting-error-${key}`} className="mt-1 text-xs font-medium text-red-700 dark:text-red-300">
            {error}
          </p>
        ) : null}
      </div>
    </div>
  );
}

/** Enum or boolean as a segmented control (radio group semantics; the group carries the testid). */
function Segmented({
  id,
  testId,
  options,
  disabledOptions,
  value,
  disabled,
  describedBy,
  invalid,
  onChange,
}: {
  id: string;
  testId: string;
  options: string[];
  disabledOptions: Record<string, string>;
  value: string;
  disabled: boolean;
  describedBy: string;
  invalid: boolean;
  onChange(value: string): void;
}) {
  return (
    <div
      id={id}
      role="radiogroup"
      data-testid={testId}
      data-value={value}
      aria-describedby={describedBy}
      aria-invalid={invalid || undefined}
      className={`flex flex-wrap gap-1 rounded-lg bg-slate-100 p-1 dark:bg-slate-800 ${invalid ? 'ring-2 ring-red-500/40' : ''}`}
    >
      {options.map((option) => {
        const checked = option === value;
        const reason = disabledOptions[option];
        return (
          <button
            key={option}
            type="button"
            role="radio"
            aria-checked={checked}
            data-testid={`${testId}-${option}`}
            disabled={disabled || Boolean(reason)}
            title={reason}
            onClick={() => onChange(option)}
            className={`flex-auto whitespace-nowrap rounded-md px-2 py-1 font-mono text-xs font-semibold transition-colors focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-emerald-500 disabled:cursor-not-allowed disabled:opacity-45 ${
              checked
                ? 'bg-white text-slate-900 shadow-sm ring-1 ring-slate-300 dark:bg-slate-950 dark:text-white dark:ring-slate-600'
                : 'text-slate-600 hover:bg-white/70 dark:text-slate-300 dark:hover:bg-slate-700'
            }`}
          >
            {option}
          </button>
        );
      })}
    </div>
  );
}
