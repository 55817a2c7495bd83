'use client';
/**
 * The consumers of the test traffic: N consumer processes of one clustering group. The form starts
 * them with an ack mode, an optional dedupe store, simulated work and a failure rate; each process
 * can be crashed on its own (a real SIGKILL) and started again (./consumer-list.tsx). The server
 * validates the numbers; its message is shown as is, and the fields it names are marked.
 */
import { useState, type FormEvent } from 'react';
import type { LiveState } from '@/server/live/types';
import type { AckMode } from '@/broker/client/ack-mode';
import { useCan } from '../../_lib/session';
import { errorMessage, trpc } from '../../_lib/trpc';
import { useClusterRefresh } from '../../_lib/use-cluster-state';
import { Card } from '../ui/card';
import { fieldIssues, invalidProps } from '../ui/field-errors';
import { HintedSelect, NumberField, StartStopButtons, toNumber, type HintedOption } from '../ui/form';
import { RequestError } from '../ui/query-state';
import { StateBadge } from '../ui/state-badge';
import { ConsumerList } from './consumer-list';


const ACK_MODES: HintedOption<AckMode>[] = [
  {
    value: 'after-processing',
    label: 'after processing — ack when the work is done',
    hint: 'Acks only after the work is done: a crash redelivers the messages in flight (duplicates, never losses).',
  },
  {
    value: 'before-processing',
    label: 'before processing — ack on arrival (anti-pattern)',
    hint: 'Acks on arrival, before the work: a crash loses the work in flight, and the broker never redelivers it.',
    antiPattern: true,
  },
];

/** the inputs of the form, which the server's field errors may name */
const FIELDS = ['count', 'processingMs', 'failRate', 'ackMode', 'idempotent'];

export function ConsumersPanel({ state, className = '' }: { state: LiveState; className?: string }) {
  const fleet = state.consumers;
  const members = fleet.members;
  const input = fleet.input;
  const alive = members.filter((m) => m.state === 'running' || m.state === 'starting').length;
  const running = fleet.running || alive > 0;
  const crashed = members.filter((m) => m.state === 'crashed').length;
  const badgeState = members.length === 0 ? 'stopped' : crashed > 0 ? 'crashed' : running ? 'running' : 'stopped';

  return (
    <Card
      title="Consumers"
      titleId="consumers-title"
      testId="consumers-card"
      className={className}
      actions={
        <StateBadge state={badgeState} testId="consumers-running">
          {members.length === 0 ? 'none' : `${alive} of ${members.length} running${crashed > 0 ? `, ${crashed} crashed` : ''}`}
        </StateBadge>
      }
    >
      <div className="grid gap-4 lg:grid-cols-[minmax(0,24rem)_minmax(0,1fr)]">
        <div className="min-w-0">
          <ConsumersForm input={input} running={running} />
        </div>

        <div className="min-w-0 lg:border-l lg:border-slate-200 lg:pl-4 lg:dark:border-slate-800">
          {input ? (
            <p className="mb-2 text-xs text-slate-500 dark:text-slate-400">
              group <span className="font-mono text-slate-700 dark:text-slate-300">{input.consumerGroup}</span> · topic{' '}
              <span className="font-mono text-slate-700 dark:text-slate-300">{input.topic}</span> · {input.ackMode}
              {input.idempotent ? ' · idempotent' : ''} · {input.processingMs} ms work
              {input.failRate > 0 ? ` · ${Math.round(input.failRate * 1000) / 10} % RECONSUME_LATER` : ''}
              {state.namesrv ? (
                <>
                  {' '}
                  · name server <span className="font-mono">{state.namesrv.address}</span>
                </>
              ) : null}
            </p>
          ) : null}

          <ConsumerList state={state} />
        </div>
      </div>
    </Card>
  );
}

/** Start (or restart with other settings) and stop the fleet; the form opens with what runs now. */
function ConsumersForm({ input, running }: { input: LiveState['consumers']['input']; running: boolean }) {
  const [count, setCount] = useState(String(input?.count ?? 2));
  const [ackMode, setAckMode] = useState<AckMode>(input?.ackMode ?? 'after-processing');
  const [idempotent, setIdempotent] = useState(input?.idempotent ?? false);
  const [processingMs, setProcessingMs] = useState(String(input?.processingMs ?? 5));
  const [failRatePct, setFailRatePct] = useState(String(input ? Math.round(input.failRate * 1000) / 10 : 0));
  const afterChange = useClusterRefresh();
  const start = trpc.consumers.start.useMutation({ onSettled: afterChange });
  const stop = trpc.consumers.stop.useMutation({ onSettled: afterChange });
  const formError = start.error ?? stop.error;
  const issues = fieldIssues(start.error, FIELDS);
  const can = useCan('operator');

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!can.allowed) return;
    stop.reset();
    const pct = toNumber(failRatePct);
    start.mutate({
      count: toNumber(count),
      ackMode,
      idempotent,
      processingMs: toNumber(processingMs),
      failRate: Number.isNaN(pct) ? pct : pct / 100,
    });
  };

  const fieldProps = (name: string) => invalidProps(issues, name, 'consumers');

  return (
    <>
      <form onSubmit={submit} noValidate aria-labelledby="consumers-title" className="grid grid-cols-3 gap-3">
        <NumberField name="count" label="Count" unit="1–8" testId="consumers-count" value={count} onChange={setCount} issues={issues} idPrefix="consumers" min={1} max={8} />
        <NumberField name="processingMs" label="Work" unit="ms" testId="consumers-processing-ms" value={processingMs} onChange={setProcessingMs} issues={issues} idPrefix="consumers" min={0} hint="Simulated processing time per message" />
        <NumberField name="failRate" label="Fail rate" unit="%" testId="consumers-fail-rate" value={failRatePct} onChange={setFailRatePct} issues={issues} idPrefix="consumers" min={0} max={100} decimal hint="Share of deliveries answered with RECONSUME_LATER: drives retries and the DLQ" />
        <HintedSelect
          label="Ack mode"
          name="ackMode"
          testId="consumers-ack-mode"
          value={ackMode}
          options={ACK_MODES}
          onChange={setAckMode}
          labelClassName="col-span-full text-sm"
          errorProps={fieldProps('ackMode')}
        />
        <label className="col-span-full flex items-start gap-2 text-sm">
          <input
            data-testid="consumers-idempotent"
            name="idempotent"
            type="checkbox"
            checked={idempotent}
            onChange={(e) => setIdempotent(e.target.checked)}
            className="mt-0.5 h-4 w-4 shrink-0 rounded border-slate-300 accent-emerald-600 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-500 dark:border-slate-700"
            aria-describedby="consumers-idempotent-hint"
            {...fieldProps('idempotent')}
          />
          <span>
            <span className="font-medium">Idempotent</span>
            <span id="consumers-idempotent-hint" className="block text-xs text-slate-500 dark:text-slate-400">
              A persisted dedupe store (by message key) suppresses redeliveries, so none is applied twice.
            </span>
          </span>
        </label>
        <div className="col-span-full flex flex-wrap items-center gap-2">
          <StartStopButtons testIdPrefix="consumers" what="consumers" running={running} start={start} stop={stop} startBlocked={!can.allowed && can.reason} stopAllowed={can.allowed} />
        </div>
      </form>

      {formError ? (
        <RequestError>
          {errorMessage(formError)}
          {issues.has('failRate') ? ' (the form takes the fail rate in %, 0–100)' : ''}
        </RequestError>
      ) : null}
    </>
  );
}
