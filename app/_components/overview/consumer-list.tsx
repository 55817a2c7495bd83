'use client';
/**
 * The consumer processes one by one: state, pid, client id, since when, the queues the rebalance gave
 * it, why it stopped; Crash (a real SIGKILL, after a confirmation that says what the ack mode will
 * cost) and Restart.
 */
import { useState } from 'react';
import type { LiveState } from '@/server/live/types';
import { ago, clock } from '../../_lib/format';
import { useCan } from '../../_lib/session';
import { errorMessage, trpc } from '../../_lib/trpc';
import { useClusterRefresh } from '../../_lib/use-cluster-state';
import { Button } from '../ui/button';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { RequestError } from '../ui/query-state';
import { StateBadge } from '../ui/state-badge';
import { DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX } from '@/broker/protocol/codes';

type Member = LiveState['consumers']['members'][number];

/** "TopicTest@broker-a@3" → broker-a/3; the group's retry queue "%RETRY%group@broker-a@0" → retry broker-a/0 */
function queueLabel(queue: string, mainTopic: string | undefined): string {
  const [topic, broker, id] = queue.split('@');
  if (broker === undefined || id === undefined) return queue;
  const prefix = topic.startsWith(RETRY_GROUP_TOPIC_PREFIX) ? 'retry ' : topic.startsWith(DLQ_GROUP_TOPIC_PREFIX) ? 'dlq ' : mainTopic && topic !== mainTopic ? `${topic} ` : '';
  return `${prefix}${broker}/${id}`;
}

function describe(member: Member, index: number): string {
  return `consumer ${index + 1} (${member.clientId}${member.pid ? `, pid ${member.pid}` : ''})`;
}

export function ConsumerList({ state }: { state: LiveState }) {
  const members = state.consumers.members;
  const input = state.consumers.input;
  const [confirm, setConfirm] = useState<number | null>(null);
  const afterChange = useClusterRefresh();
  const kill = trpc.consumers.kill.useMutation({ onSettled: afterChange });
  const restart = trpc.consumers.restart.useMutation({ onSettled: afterChange });
  const memberError = kill.error ?? restart.error;
  const can = useCan('operator');
  const canKill = useCan('drill');

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
    <>
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
    </>
  );
}
