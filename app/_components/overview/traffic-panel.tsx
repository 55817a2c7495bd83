'use client';
/**
 * Test traffic: one producer process sending at a fixed rate, optionally with KEYS from a pattern.
 * The server validates the numbers; each refused field shows the rule beside it. `compact` (the
 * Overview) keeps rate, size and send mode and links to the Traffic page for the rest.
 */
import Link from 'next/link';
import { useState, type FormEvent } from 'react';
import type { SendMode } from '@/broker/client/send-mode';
import type { LiveState } from '@/server/live/types';
import { errorMessage, trpc } from '../../_lib/trpc';
import { bytes, clock } from '../../_lib/format';
import { useCan } from '../../_lib/session';
import { Card } from '../ui/card';
import { RequestError } from '../ui/query-state';
import { StateBadge } from '../ui/state-badge';
import { HintedSelect, NumberField, StartStopButtons, TextField, toNumber, type HintedOption } from '../ui/form';
import { SEND_MODE_OPTIONS } from '../ui/send-modes';
import { brokerAvailability, useClusterRefresh } from '../../_lib/use-cluster-state';
import { fieldIssues, invalidProps } from '../ui/field-errors';

type KeysMode = 'none' | 'pattern';


const KEYS_MODES: HintedOption<KeysMode>[] = [
  { value: 'none', label: 'none', hint: 'Messages carry no KEYS; look them up by UNIQ_KEY or offset.' },
  { value: 'pattern', label: 'per-message pattern', hint: 'Every message carries KEYS from the pattern: {n} is its number in this run (1, 2, …), {producer} the producer id.' },
];

const ID = 'traffic';
/** the inputs of the form, which the server's field errors may name */
const FIELDS = ['rate', 'bodySize', 'count', 'topic', 'sendMode', 'keyPattern'];

export function TrafficPanel({ state, compact = false }: { state: LiveState; compact?: boolean }) {
  const traffic = state.traffic;
  const can = useCan('operator');
  const [rate, setRate] = useState('200');
  const [bodySize, setBodySize] = useState('1024');
  const [sendMode, setSendMode] = useState<SendMode>('sync');
  const [count, setCount] = useState('0');
  const [topic, setTopic] = useState('TopicTest');
  const [keysMode, setKeysMode] = useState<KeysMode>('none');
  const [keyPattern, setKeyPattern] = useState('order-{n}');
  const afterChange = useClusterRefresh();
  const start = trpc.traffic.start.useMutation({ onSettled: afterChange });
  const stop = trpc.traffic.stop.useMutation({ onSettled: afterChange });
  const error = start.error ?? stop.error;
  const issues = fieldIssues(start.error, FIELDS);
  const running = traffic.state === 'running' || traffic.state === 'starting';
  const broker = brokerAvailability(state);
  const startBlocked = !can.allowed ? can.reason : !broker.up && !running ? broker.reason : undefined;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (startBlocked) return;
    stop.reset();
    start.mutate({
      rate: toNumber(rate),
      bodySize: toNumber(bodySize),
      sendMode,
      ...(compact ? {} : { count: toNumber(count), topic: topic.trim() }),
      ...(!compact && keysMode === 'pattern' ? { keyPattern: keyPattern.trim() } : {}),
    });
  };

  const numberField = (name: string, label: string, unit: string, value: string, set: (v: string) => void, hint?: string) => (
    <NumberField name={name} label={label} unit={unit} testId={`traffic-${name === 'bodySize' ? 'body-size' : name}`} value={value} onChange={set} issues={issues} idPrefix={ID} hint={hint} />
  );

  return (
    <Card
      title="Traffic"
      titleId="traffic-title"
      testId="traffic-card"
      actions={<StateBadge state={traffic.state} srPrefix="traffic state: " testId="traffic-state" />}
    >
      <form onSubmit={submit} noValidate aria-labelledby="traffic-title" className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-2 2xl:grid-cols-3">
        {numberField('rate', 'Rate', 'msg/s', rate, setRate)}
        {numberField('bodySize', 'Body size', 'bytes', bodySize, setBodySize)}
        {!compact ? numberField('count', 'Count', '0 = until stopped', count, setCount, 'Stop after this many messages') : null}
        {!compact ? (
          <TextField name="topic" label="Topic" testId="traffic-topic" value={topic} onChange={setTopic} issues={issues} idPrefix={ID} />
        ) : null}
        <HintedSelect
          label="Send mode"
          name="sendMode"
          testId="traffic-send-mode"
          value={sendMode}
          options={SEND_MODE_OPTIONS}
          onChange={setSendMode}
          labelClassName="col-span-2 text-sm sm:col-span-1 lg:col-span-2 2xl:col-span-1"
          errorProps={invalidProps(issues, 'sendMode', ID)}
        />
        {!compact ? (
          <>
            <HintedSelect
              label="Keys"
              name="keysMode"
              testId="traffic-keys-mode"
              value={keysMode}
              options={KEYS_MODES}
              onChange={setKeysMode}
              labelClassName="text-sm"
            />
            {keysMode === 'pattern' ? (
              <TextField
                name="keyPattern"
                label="Key pattern"
                unit="{n} required, no spaces"
                testId="traffic-key-pattern"
                value={keyPattern}
                onChange={setKeyPattern}
                issues={issues}
                idPrefix={ID}
                className="col-span-full text-sm"
              />
            ) : null}
          </>
        ) : null}
        <div className="col-span-full flex flex-wrap items-center gap-2">
          <StartStopButtons testIdPrefix="traffic" what="traffic" running={running} start={start} stop={stop} startBlocked={startBlocked} stopAllowed={can.allowed} />
          {compact ? (
            <Link href="/traffic" className="ml-auto rounded text-xs font-medium text-emerald-700 underline-offset-2 hover:underline focus-visible:outline-2 focus-visible:outline-emerald-500 dark:text-emerald-300">
              Keys, count, topic, publish one →
            </Link>
          ) : null}
        </div>
      </form>

      {error && issues.size === 0 ? (
        <RequestError>
          {errorMessage(error)}
        </RequestError>
      ) : error ? (
        <p role="alert" className="sr-only">
          {errorMessage(error)}
        </p>
      ) : null}

      <div className="mt-3 border-t border-slate-200 pt-3 text-sm dark:border-slate-800">
        {traffic.config ? (
          <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1">
            <dt className="text-slate-600 dark:text-slate-400">producer</dt>
            <dd className="break-all font-mono text-xs leading-5" data-testid="traffic-producer-id">
              {traffic.config.producerId}
              {running ? '' : ' (last run)'}
            </dd>
            <dt className="text-slate-600 dark:text-slate-400">{running ? 'sending' : 'was sending'}</dt>
            <dd>
              {traffic.config.rate} msg/s · {bytes(traffic.config.bodySize)} · {traffic.config.sendMode} · topic{' '}
              <span className="font-mono text-xs">{traffic.config.topic}</span>
              {traffic.config.count > 0 ? ` · ${traffic.config.count} messages` : ''}
            </dd>
            <dt className="text-slate-600 dark:text-slate-400">keys</dt>
            <dd data-testid="traffic-keys">
              {traffic.config.keyPattern ? <span className="font-mono text-xs">{traffic.config.keyPattern}</span> : 'none'}
            </dd>
            <dt className="text-slate-600 dark:text-slate-400">{running ? 'since' : 'ended'}</dt>
            <dd>
              {clock(traffic.since)}
              {traffic.exitReason && !running ? <span className="text-slate-600 dark:text-slate-400"> · {traffic.exitReason}</span> : null}
            </dd>
          </dl>
        ) : (
          <p className="text-slate-600 dark:text-slate-400">No traffic yet — start some.</p>
        )}
      </div>
    </Card>
  );
}
