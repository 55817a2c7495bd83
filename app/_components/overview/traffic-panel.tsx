'use client';
/**
 * Test traffic: one producer process sending at a fixed rate. The server validates the numbers; its
 * message ("rate must be at least 1 msg/s") is shown as is, and the fields it names are marked.
 */
import { useState, type FormEvent } from 'react';
import type { LiveState } from '@/server/live/types';
import { errorMessage, invalidFields, trpc } from '../../_lib/trpc';
import { bytes, clock } from '../../_lib/format';
import { STATE_BADGE, STATE_DOT } from '../../_lib/status';
import { Card } from '../ui/card';
import { HintedSelect, StartStopButtons, fieldErrorProps, inputClass, toNumber, type HintedOption } from '../ui/form';

type SendMode = 'sync' | 'async' | 'async-unchecked' | 'oneway';

const SEND_MODES: HintedOption<SendMode>[] = [
  { value: 'sync', label: 'sync — wait for each answer', hint: 'Blocks on every SendResult and checks its status: nothing fails silently.' },
  { value: 'async', label: 'async — answers by callback', hint: 'Sends without blocking; the callback reads every SendResult and counts failures.' },
  {
    value: 'async-unchecked',
    label: 'async, callback ignored — failures go unnoticed (anti-pattern)',
    hint: 'The anti-pattern: fire and forget. Every send counts as UNCHECKED; a lost message is never noticed.',
    antiPattern: true,
  },
  { value: 'oneway', label: 'oneway — no answer (UNCHECKED)', hint: 'RocketMQ oneway: the broker sends no answer at all, so nothing is known about the send.' },
];



export function TrafficPanel({ state }: { state: LiveState }) {
  const traffic = state.traffic;
  const utils = trpc.useUtils();
  const [rate, setRate] = useState('200');
  const [bodySize, setBodySize] = useState('1024');
  const [sendMode, setSendMode] = useState<SendMode>('sync');
  const afterChange = () => {
    void utils.cluster.events.invalidate();
    void utils.cluster.state.invalidate();
  };
  const start = trpc.traffic.start.useMutation({ onSettled: afterChange });
  const stop = trpc.traffic.stop.useMutation({ onSettled: afterChange });
  const error = start.error ?? stop.error;
  const invalid = invalidFields(start.error);
  const running = traffic.state === 'running' || traffic.state === 'starting';
  const brokerUp = state.broker.state === 'running';

  const submit = (event: FormEvent) => {
    event.preventDefault();
    stop.reset();
    start.mutate({ rate: toNumber(rate), bodySize: toNumber(bodySize), sendMode });
  };

  const errorId = 'traffic-error';
  const fieldProps = (name: string) => fieldErrorProps(invalid, name, errorId);

  return (
    <Card
      title="Traffic"
      titleId="traffic-title"
      testId="traffic-card"
      actions={
        <span className={`inline-flex items-center gap-1.5 rounded-full px-2.5 py-0.5 text-sm font-semibold ring-1 ${STATE_BADGE[traffic.state]}`}>
          <span className={`h-2 w-2 rounded-full ${STATE_DOT[traffic.state]}`} aria-hidden="true" />
          <span className="sr-only">traffic state: </span>
          <span data-testid="traffic-state">{traffic.state}</span>
        </span>
      }
    >
      <form onSubmit={submit} noValidate aria-labelledby="traffic-title" className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-2 2xl:grid-cols-3">
        <label className="text-sm">
          <span className="font-medium">Rate</span> <span className="text-slate-500 dark:text-slate-400">(msg/s)</span>
          <input
            data-testid="traffic-rate"
            name="rate"
            type="number"
            inputMode="numeric"
            step={1}
            value={rate}
            onChange={(e) => setRate(e.target.value)}
            className={inputClass}
            {...fieldProps('rate')}
          />
        </label>
        <label className="text-sm">
          <span className="font-medium">Body size</span> <span className="text-slate-500 dark:text-slate-400">(bytes)</span>
          <input
            data-testid="traffic-body-size"
            name="bodySize"
            type="number"
            inputMode="numeric"
            step={1}
            value={bodySize}
            onChange={(e) => setBodySize(e.target.value)}
            className={inputClass}
            {...fieldProps('bodySize')}
          />
        </label>
        <HintedSelect
          label="Send mode"
          name="sendMode"
          testId="traffic-send-mode"
          value={sendMode}
          options={SEND_MODES}
          onChange={setSendMode}
          labelClassName="col-span-2 text-sm sm:col-span-1 lg:col-span-2 2xl:col-span-1"
          errorProps={fieldProps('sendMode')}
        />
        <div className="col-span-full flex flex-wrap items-center gap-2">
          <StartStopButtons
            testIdPrefix="traffic"
            what="traffic"
            running={running}
            start={start}
            stop={stop}
            onStop={() => {
              start.reset();
              stop.mutate();
            }}
          />
          {!brokerUp && !running ? (
            <span className="text-xs text-slate-500 dark:text-slate-400">The broker is {state.broker.state}: sends will fail until it runs.</span>
          ) : null}
        </div>
      </form>

      {error ? (
        <p id={errorId} role="alert" className="mt-3 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950/60 dark:text-red-200">
          {errorMessage(error)}
        </p>
      ) : null}

      <div className="mt-3 border-t border-slate-200 pt-3 text-sm dark:border-slate-800">
        {traffic.config ? (
          <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1">
            <dt className="text-slate-500 dark:text-slate-400">producer</dt>
            <dd className="break-all font-mono text-xs leading-5" data-testid="traffic-producer-id">
              {traffic.config.producerId}
              {running ? '' : ' (last run)'}
            </dd>
            <dt className="text-slate-500 dark:text-slate-400">{running ? 'sending' : 'was sending'}</dt>
            <dd>
              {traffic.config.rate} msg/s · {bytes(traffic.config.bodySize)} · {traffic.config.sendMode} · topic{' '}
              <span className="font-mono text-xs">{traffic.config.topic}</span>
              {traffic.config.count > 0 ? ` · ${traffic.config.count} messages` : ''}
            </dd>
            <dt className="text-slate-500 dark:text-slate-400">{running ? 'since' : 'ended'}</dt>
            <dd>
              {clock(traffic.since)}
              {traffic.exitReason && !running ? <span className="text-slate-500 dark:text-slate-400"> · {traffic.exitReason}</span> : null}
            </dd>
          </dl>
        ) : (
          <p className="text-slate-500 dark:text-slate-400">No traffic yet — start some.</p>
        )}
      </div>
    </Card>
  );
}
