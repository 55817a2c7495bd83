/**
 * The small kit every form on the dashboard shares: the input style, number parsing that lets the
 * server name a bad field, a select whose options each carry a one-line hint (with the anti-patterns
 * flagged), and the Start/Stop pair. Server-side errors beside their fields: ./field-errors.tsx.
 */
import type { ChangeEvent, ReactNode } from 'react';
import { Button } from './button';
import { DisabledReason, FieldError, invalidProps, type FieldIssues } from './field-errors';

/** Inputs and selects; `mt-1` sits them under their label. */
export const inputBase =
  'block w-full rounded-md border border-slate-300 bg-white px-2.5 py-1.5 text-sm tabular-nums shadow-sm focus:border-emerald-500 focus:outline-none focus:ring-2 focus:ring-emerald-500/40 aria-[invalid=true]:border-red-500 aria-[invalid=true]:ring-2 aria-[invalid=true]:ring-red-500/30 dark:border-slate-700 dark:bg-slate-950';
export const inputClass = `mt-1 ${inputBase}`;

/**
 * A labelled input whose server-side error shows under it: the label (its unit or rule in brackets
 * after it), the control `children` renders with the aria attributes that tie it to its error, and
 * the error. One input of a form that the server may refuse field by field.
 */
export function Field({
  label,
  unit,
  name,
  issues,
  idPrefix,
  className = 'text-sm',
  announce,
  after,
  children,
}: {
  label: string;
  unit?: string;
  name: string;
  issues: FieldIssues;
  idPrefix: string;
  className?: string;
  /** the error is an alert of its own (a form whose general error line stays quiet when fields are named) */
  announce?: boolean;
  /** shown under the error (a note about the options, such as why a list is empty) */
  after?: ReactNode;
  children(invalid: ReturnType<typeof invalidProps>): ReactNode;
}) {
  return (
    <label className={className}>
      <span className="font-medium">{label}</span>
      {unit ? <> <span className="text-slate-600 dark:text-slate-400">({unit})</span></> : null}
      {children(invalidProps(issues, name, idPrefix))}
      <FieldError issues={issues} name={name} idPrefix={idPrefix} announce={announce} />
      {after}
    </label>
  );
}

/** What every single-input field takes: its name (the input's key), label, value and the server's errors. */
interface InputFieldProps {
  name: string;
  label: string;
  unit?: string;
  testId: string;
  value: string;
  onChange(value: string): void;
  issues: FieldIssues;
  idPrefix: string;
}

/**
 * A labelled number input (its unit or rule in brackets after the label) with the server's error for
 * it underneath. The text goes to the server through toNumber, so the server names a bad value.
 */
export function NumberField(props: InputFieldProps & {
  hint?: string;
  min?: number;
  max?: number;
  /** allow fractions (a percentage) */
  decimal?: boolean;
}) {
  return (
    <Field label={props.label} unit={props.unit} name={props.name} issues={props.issues} idPrefix={props.idPrefix}>
      {(invalid) => (
        <input
          data-testid={props.testId}
          name={props.name}
          type="number"
          inputMode={props.decimal ? 'decimal' : 'numeric'}
          step={props.decimal ? 'any' : 1}
          min={props.min}
          max={props.max}
          value={props.value}
          onChange={(e) => props.onChange(e.target.value)}
          className={inputClass}
          title={props.hint}
          {...invalid}
        />
      )}
    </Field>
  );
}

/**
 * A labelled one-line text input in monospace (topic names, KEYS, tags, patterns: text a broker
 * matches exactly), with the server's error for it underneath; no spell check, no autofill.
 */
export function TextField(props: InputFieldProps & {
  placeholder?: string;
  className?: string;
  announce?: boolean;
  /** 'password' for a secret: masked, and never offered to the browser's password manager */
  type?: 'text' | 'password';
}) {
  return (
    <Field label={props.label} unit={props.unit} name={props.name} issues={props.issues} idPrefix={props.idPrefix} className={props.className} announce={props.announce}>
      {(invalid) => (
        <input
          data-testid={props.testId}
          name={props.name}
          value={props.value}
          placeholder={props.placeholder}
          onChange={(e) => props.onChange(e.target.value)}
          spellCheck={false}
          type={props.type ?? 'text'}
          autoComplete={props.type === 'password' ? 'new-password' : 'off'}
          className={`${inputClass} font-mono`}
          {...invalid}
        />
      )}
    </Field>
  );
}

/** '' and junk go to the server as NaN → null, so its message names the field. */
export function toNumber(text: string): number {
  return text.trim() === '' ? Number.NaN : Number(text);
}

export interface HintedOption<T extends string> {
  value: T;
  label: string;
  hint: string;
  antiPattern?: boolean;
}

/** A labelled select and, under it, the chosen option's hint (amber, and called out, for an anti-pattern). */
export function HintedSelect<T extends string>(props: {
  label: string;
  name: string;
  testId: string;
  value: T;
  options: readonly HintedOption<T>[];
  onChange(value: NoInfer<T>): void;
  labelClassName: string;
  errorProps?: ReturnType<typeof invalidProps>;
}) {
  const chosen = props.options.find((o) => o.value === props.value) ?? props.options[0];
  const hintId = `${props.testId}-hint`;
  return (
    <>
      <label className={props.labelClassName}>
        <span className="font-medium">{props.label}</span>
        <select
          data-testid={props.testId}
          name={props.name}
          value={props.value}
          onChange={(e: ChangeEvent<HTMLSelectElement>) => props.onChange(e.target.value as T)}
          className={inputClass}
          aria-describedby={hintId}
          {...props.errorProps}
        >
          {props.options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      </label>
      <p
        id={hintId}
        data-testid={hintId}
        className={`col-span-full -mt-1 text-xs ${
          chosen.antiPattern ? 'rounded-md bg-amber-50 px-2 py-1 text-amber-900 dark:bg-amber-950/50 dark:text-amber-100' : 'text-slate-500 dark:text-slate-400'
        }`}
      >
        {chosen.antiPattern ? <strong className="font-semibold">Anti-pattern. </strong> : null}
        {chosen.hint}
      </p>
    </>
  );
}

/**
 * The Start/Restart and Stop pair of a form that runs something, and why Start is disabled when it is.
 * Stop clears the start error first.
 */
export function StartStopButtons(props: {
  testIdPrefix: string;
  what: string;
  running: boolean;
  start: { isPending: boolean; reset(): void };
  stop: { isPending: boolean; mutate(): void };
  /** why Start may not be pressed now (role, broker down), or nothing */
  startBlocked?: string | false;
  /** whether this user may press Stop */
  stopAllowed: boolean;
}) {
  const reasonId = `${props.testIdPrefix}-start-reason`;
  return (
    <>
      <Button
        type="submit"
        variant="primary"
        data-testid={`${props.testIdPrefix}-start`}
        busy={props.start.isPending}
        disabled={Boolean(props.startBlocked)}
        aria-describedby={props.startBlocked ? reasonId : undefined}
      >
        {props.running ? 'Restart with these' : `Start ${props.what}`}
      </Button>
      <Button
        data-testid={`${props.testIdPrefix}-stop`}
        disabled={!props.running || !props.stopAllowed}
        busy={props.stop.isPending}
        onClick={() => {
          props.start.reset();
          props.stop.mutate();
        }}
      >
        Stop
      </Button>
      <span id={reasonId}>
        <DisabledReason reason={props.startBlocked} testId={reasonId} />
      </span>
    </>
  );
}
