'use client';
/**
 * The consumers of the test traffic: N consumer processes of one clustering group. The form starts
 * them with an ack mode, an optional dedupe store, simulated work and a failure rate; each process
 * can be crashed on its own (a real SIGKILL) and started again. The server validates the numbers; its
 * message is shown as is, and the fields it names are marked.
 */
import { useState, type FormEvent } from 'react';
import type { LiveState } from '@/server/live/types';
import { errorMessage, trpc } from '../../_lib/trpc';
import { ago, clock } from '../../_lib/format';
import { Button } from '../ui/button';
import { Card } from '../ui/card';
import { RequestError } from '../ui/query-state';
import { StateBadge } from '../ui/state-badge';
import { HintedSelect, NumberField, StartStopButtons, toNumber, type HintedOption } from '../ui/form';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { useCan } from '../../_lib/session';
import { fieldIssues, invalidProps } from '../ui/field-errors';

type AckMode = 'after-processing' | 'before-processing';
type Member = LiveState['consumers']['members'][number];

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

/** "TopicTest@broker-a@3" → broker-a/3; the group's retry queue "%RETRY%group@broker-a@0" → retry broker-a/0 */
function queueLabel(queue: string, mainTopic: string | undefined): string {
  const [topic, broker, id] = queue.split('@');
  if (broker === undefined || id === undefined) return queue;
  const prefix = topic.startsWith('%RETRY%') ? 'retry ' : topic.startsWith('%DLQ%') ? 'dlq ' : mainTopic && topic !== mainTopic ? `${topic} ` : '';
  return `${prefix}${broker}/${id}`;
}

function describe(member: Member, index: number): string {
  return `consumer ${index + 1} (${member.clientId}${member.pid ? `, pid ${member.pid}` : ''})`;
}

export function ConsumersPanel({ state, className = '' }: { state: LiveState; className?: string }) {
  const fleet = state.consumers;
  const members = fleet.members;
  const input = fleet.input;
  const utils = trpc.useUtils();
  const [count, setCount] = useState(String(input?.count ?? 2));
  const [ackMode, setAckMode] = useState<AckMode>(input?.ackMode ?? 'after-processing');
  const [idempotent, setIdempotent] = useState(input?.idempotent ?? false);
  const [processingMs, setProcessingMs] = useState(String(input?.processingMs ?? 5));
  const [failRatePct, setFailRatePct] = useState(String(input ? Math.round(input.failRate * 1000) / 10 : 0));
  const [confirm, setConfirm] = useState<number | null>(null);

  const afterChange = () => {
    void utils.cluster.events.invalidate();
    void utils.cluster.state.invalidate();
  };
  const start = trpc.consumers.start.useMutation({ onSettled: afterChange });
  const stop = trpc.consumers.stop.useMutation({ onSettled: afterChange });
  const kill = trpc.consumers.kill.useMutation({ onSettled: afterChange });
  const restart = trpc.consumers.restart.useMutation({ onSettled: afterChange });
  const formError = start.error ?? stop.error;
  const memberError = kill.error ?? restart.error;
  const issues = fieldIssues(start.error, FIELDS);
  const can = useCan('operator');
  const canKill = useCan('drill');

  const alive = members.filter((m) => m.state === 'running' || m.state === 'starting').length;
  const running = fleet.running || alive > 0;
  const crashed = members.filter((m) => m.state === 'crashed').length;
  const badgeState = members.length === 0 ? 'stopped' : crashed > 0 ? 'crashed' : running ? 'running' : 'stopped';

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

  const runKill = () => {
    const index = confirm;
    setConfirm(null);
    if (index === null) return;
    kill.reset();
    restart.reset();
    kill.mutate({ index });
  };
  const target = confirm !== null ? members[confirm] : undefined;

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

          {members.length === 0 ? (
            <p className="rounded-md border border-dashed border-slate-300 px-3 py-4 text-sm text-slate-500 dark:border-slate-700 dark:text-slate-400">
              No consumers yet — start some. Without consumers nothing is delivered and the sequence check has nothing to check.
            </p>
          ) : (
            <ul className="grid gap-2" aria-label="Consumer processes">
              {members.map((member, i) => {
                const up = member.state === 'running' || member.state === 'starting';
                const down = member.state === 'crashed' || member.state === 'stopped';
                return (
                  <li
                    key={member.clientId}
                    data-testid={`consumer-${i}`}
                    className={`rounded-lg border px-3 py-2 ${
                      member.state === 'crashed' ? 'border-red-200 bg-red-50/60 dark:border-red-900 dark:bg-red-950/30' : 'border-slate-200 dark:border-slate-800'
                    }`}
                  >
                    <div className="flex flex-wrap items-center justify-between gap-2">
                      <div className="flex min-w-0 flex-wrap items-center gap-x-2 gap-y-1">
                        <span className="text-sm font-medium">consumer {i + 1}</span>
                        <StateBadge state={member.state} srPrefix="state: " testId={`consumer-state-${i}`} small />
                        <span className="font-mono text-xs tabular-nums text-slate-500 dark:text-slate-400">
                          pid <span data-testid={`consumer-pid-${i}`}>{member.pid ?? '–'}</span>
                        </span>
                      </div>
                      <div className="flex flex-wrap gap-2">
                        {down ? (
                          <Button
                            variant="primary"
                            className="px-2.5 py-1 text-xs"
                            data-testid={`consumer-restart-${i}`}
                            disabled={!can.allowed}
                            title={can.reason}
                            busy={restart.isPending && restart.variables?.index === i}
                            onClick={() => {
                              kill.reset();
                              restart.reset();
                              restart.mutate({ index: i });
                            }}
                          >
                            Restart
                          </Button>
                        ) : null}
                        <Button
                          variant="danger"
                          className="px-2.5 py-1 text-xs"
                          data-testid={`consumer-kill-${i}`}
                          disabled={!up || !canKill.allowed}
                          title={canKill.allowed ? undefined : canKill.reason}
                          busy={kill.isPending && kill.variables?.index === i}
                          onClick={() => setConfirm(i)}
                          aria-label={`Crash consumer ${i + 1} (SIGKILL)`}
                        >
                          Crash (SIGKILL)
                        </Button>
                      </div>
                    </div>
                    <p className="mt-1 break-all font-mono text-xs text-slate-600 dark:text-slate-300" data-testid={`consumer-client-id-${i}`}>
                      {member.clientId}
                    </p>
                    <p className="mt-0.5 text-xs text-slate-500 dark:text-slate-400">
                      {member.state} since {clock(member.since)} ({ago(member.since, state.t)})
                      {member.restarts > 0 ? ` · ${member.restarts} restart${member.restarts === 1 ? '' : 's'}` : ''}
                    </p>
                    <div className="mt-1.5 flex flex-wrap items-center gap-1" data-testid={`consumer-queues-${i}`}>
                      <span className="text-xs text-slate-500 dark:text-slate-400">queues</span>
                      {member.queues.length === 0 ? (
                        <span className="text-xs text-slate-600 dark:text-slate-400">{up ? 'none assigned yet (rebalance)' : 'none'}</span>
                      ) : (
                        member.queues.map((q) => (
                          <span
                            key={q}
                            title={q}
                            className="rounded-full bg-slate-100 px-2 py-0.5 font-mono text-[11px] text-slate-700 ring-1 ring-slate-200 dark:bg-slate-800 dark:text-slate-200 dark:ring-slate-700"
                          >
                            {queueLabel(q, input?.topic)}
                          </span>
                        ))
                      )}
                    </div>
                    {!up && member.exitReason ? (
                      <p
                        className={`mt-1.5 break-words font-mono text-xs ${member.state === 'crashed' ? 'text-red-800 dark:text-red-200' : 'text-slate-500 dark:text-slate-400'}`}
                        data-testid={`consumer-exit-reason-${i}`}
                      >
                        {member.exitReason}
                      </p>
                    ) : null}
                  </li>
                );
              })}
            </ul>
          )}

          {memberError ? (
            <RequestError>
              {errorMessage(memberError)}
            </RequestError>
          ) : null}
        </div>
      </div>

      <ConfirmDialog
        open={confirm !== null}
        title={confirm !== null ? `Crash consumer ${confirm + 1}?` : 'Crash the consumer?'}
        confirmLabel="Send SIGKILL"
        onConfirm={runKill}
        onCancel={() => setConfirm(null)}
      >
        {target && confirm !== null ? (
          <>
            <p>
              Sends <strong>SIGKILL</strong> to <strong>{describe(target, confirm)}</strong>. It dies at once: no shutdown, no final offset
              commit{target.queues.length > 0
                ? `, and ${target.queues.length === 1 ? 'its queue goes' : `its ${target.queues.length} queues go`} to the others at the next rebalance`
                : ''}
              .
            </p>
            <p className="mt-2">
              {input?.ackMode === 'before-processing'
                ? 'Ack mode is before-processing: messages acked but not yet worked on are lost for good.'
                : input?.idempotent
                  ? 'Ack mode is after-processing and idempotent: the work in flight is redelivered, and the dedupe store suppresses what was already applied.'
                  : 'Ack mode is after-processing: the work in flight is redelivered; without the dedupe store some of it is applied twice.'}
            </p>
          </>
        ) : null}
      </ConfirmDialog>
    </Card>
  );
}
