'use client';
/**
 * Dead-letter queues: the %DLQ%<group> topics with their message counts, the messages of one (original
 * topic, reconsumeTimes, why it failed when the lab saw it), and resend of one or the selected ones
 * back to the original topic through a real producer, after a confirmation. Each resend gets a new
 * UNIQ_KEY and its own durability ladder.
 */
import Link from 'next/link';
import { useRef, useState } from 'react';
import { errorMessage, trpc } from '../../_lib/trpc';
import { truncate } from '../../_lib/format';
import { useCan } from '../../_lib/session';
import { Button } from '../ui/button';
import { Card } from '../ui/card';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { DisabledReason } from '../ui/field-errors';
import { brokerAvailability, useClusterState } from '../../_lib/use-cluster-state';
import { stamp } from './format';
import { MessageIdLink, OffsetPager, messageHref } from './message-links';
import { LoadError, LoadingRows, RequestError } from '../ui/query-state';

const PAGE = 20;

export function DlqView() {
  const { state } = useClusterState();
  const broker = brokerAvailability(state);
  const topics = trpc.messages.dlqTopics.useQuery(undefined, { refetchInterval: 3000, retry: false, enabled: broker.up });
  const [chosen, setChosen] = useState<string | null>(null);
  const topic = chosen ?? topics.data?.[0]?.topic ?? null;

  return (
    <>
      <Card title="Dead-letter queues" titleId="dlq-topics-title" testId="dlq-topics">
        {!broker.up ? (
          <p role="status" className="text-sm text-slate-600 dark:text-slate-400">Dead-letter queues cannot be read now: {broker.reason}.</p>
        ) : topics.isPending ? (
          <LoadingRows label="Loading the dead-letter queues" rows={2} />
        ) : topics.isError ? (
          <LoadError error={topics.error} onRetry={() => void topics.refetch()} />
        ) : topics.data.length === 0 ? (
          <p data-testid="dlq-empty" className="py-4 text-sm text-slate-600 dark:text-slate-400">
            No dead-letter queue yet. A consumer group gets one (%DLQ%&lt;group&gt;) when a message fails maxReconsumeTimes + 1 times: start
            consumers with a fail rate on the Traffic page to see one.
          </p>
        ) : (
          <ul className="flex flex-wrap gap-2" aria-label="Dead-letter queue topics">
            {topics.data.map((t) => (
              <li key={t.topic}>
                <button
                  type="button"
                  data-testid="dlq-topic"
                  aria-pressed={t.topic === topic}
                  onClick={() => setChosen(t.topic)}
                  className={`rounded-lg border px-3 py-2 text-left text-sm focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-500 ${
                    t.topic === topic ? 'border-emerald-600 bg-emerald-50 dark:border-emerald-400 dark:bg-emerald-950/40' : 'border-slate-200 hover:bg-slate-50 dark:border-slate-700 dark:hover:bg-slate-800'
                  }`}
                >
                  <span className="block font-mono text-xs">{t.topic}</span>
                  <span className="block text-xs text-slate-600 dark:text-slate-400">
                    group {t.consumerGroup} · <span data-testid="dlq-topic-count">{t.messages}</span> message{t.messages === 1 ? '' : 's'}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        )}
      </Card>
      {topic && broker.up ? <DlqMessages key={topic} topic={topic} broker={broker} /> : null}
    </>
  );
}

/** broker: the parent's brokerAvailability, so this card adds no cluster.state poller of its own. */
function DlqMessages({ topic, broker }: { topic: string; broker: ReturnType<typeof brokerAvailability> }) {
  const can = useCan('operator');
  const utils = trpc.useUtils();
  const [startOffset, setStartOffset] = useState<number | undefined>(undefined);
  const messages = trpc.messages.dlqMessages.useQuery({ topic, limit: PAGE, ...(startOffset === undefined ? {} : { startOffset }) }, { refetchInterval: 3000, retry: false });
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [confirm, setConfirm] = useState<number[] | null>(null);
  const resultRef = useRef<HTMLDivElement>(null);
  const resend = trpc.messages.resend.useMutation({
    onSettled: () => {
      void utils.messages.dlqMessages.invalidate();
      setSelected(new Set());
    },
    onSuccess: () => setTimeout(() => resultRef.current?.focus(), 0),
  });
  const blocked = !can.allowed ? can.reason : !broker.up ? broker.reason : undefined;

  const toggle = (offset: number) => setSelected((prev) => {
    const next = new Set(prev);
    if (next.has(offset)) next.delete(offset);
    else next.add(offset);
    return next;
  });
  // newest first: the dead letters that just arrived are the ones to look at
  const rows = [...(messages.data?.messages ?? [])].reverse();
  const page = messages.data;
  const chosenRows = confirm ? rows.filter((m) => confirm.includes(m.queueOffset)) : [];

  return (
    <Card
      title={`Messages of ${topic}`}
      titleId="dlq-messages-title"
      testId="dlq-messages"
      actions={
        <div className="flex flex-wrap items-center gap-2">
          <Button
            variant="primary"
            data-testid="dlq-resend-selected"
            disabled={Boolean(blocked) || selected.size === 0}
            busy={resend.isPending}
            onClick={() => setConfirm([...selected].sort((a, b) => a - b))}
          >
            Resend selected ({selected.size})
          </Button>
          <DisabledReason reason={blocked ?? (selected.size === 0 && rows.length > 0 ? 'select messages to resend them together' : undefined)} testId="dlq-resend-reason" />
        </div>
      }
    >
      {messages.isPending ? (
        <LoadingRows label="Reading the dead-letter queue" />
      ) : messages.isError ? (
        <LoadError error={messages.error} onRetry={() => void messages.refetch()} />
      ) : rows.length === 0 ? (
        <p className="py-4 text-sm text-slate-600 dark:text-slate-400">This dead-letter queue holds no message now.</p>
      ) : (
        <div className="relative -mx-4 overflow-x-auto px-4">
          <table className="w-full min-w-[56rem] border-collapse text-left text-sm">
            <caption className="sr-only">Messages of {topic}, newest first</caption>
            <thead>
              <tr className="border-b border-slate-200 text-[11px] uppercase tracking-wide text-slate-600 dark:border-slate-800 dark:text-slate-400">
                <th scope="col" className="py-1.5 pr-2 font-semibold"><span className="sr-only">Select</span></th>
                <th scope="col" className="py-1.5 pr-3 text-right font-semibold">Queue offset</th>
                <th scope="col" className="py-1.5 pr-3 font-semibold">UNIQ_KEY</th>
                <th scope="col" className="py-1.5 pr-3 font-semibold">Original topic</th>
                <th scope="col" className="py-1.5 pr-3 text-right font-semibold">reconsumeTimes</th>
                <th scope="col" className="py-1.5 pr-3 font-semibold">Why</th>
                <th scope="col" className="py-1.5 pr-3 font-semibold">Stored</th>
                <th scope="col" className="py-1.5 font-semibold"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {rows.map((m) => (
                <tr key={m.queueOffset} data-testid="dlq-row" data-offset={m.queueOffset} className="border-b border-slate-100 align-top last:border-0 dark:border-slate-800/60">
                  <td className="py-1.5 pr-2">
                    <input
                      type="checkbox"
                      data-testid={`dlq-select-${m.queueOffset}`}
                      checked={selected.has(m.queueOffset)}
                      onChange={() => toggle(m.queueOffset)}
                      aria-label={`Select the message at queue offset ${m.queueOffset}`}
                      className="h-4 w-4 accent-emerald-600 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-500"
                    />
                  </td>
                  <td className="py-1.5 pr-3 text-right tabular-nums">{m.queueOffset}</td>
                  <td className="py-1.5 pr-3">
                    <MessageIdLink msgId={m.msgId} tracked={m.tracked} />
                    <span className="block font-mono text-xs text-slate-600 dark:text-slate-400">{truncate(m.bodyPreview, 48)}</span>
                    {m.resentAs.length > 0 ? (
                      <span className="block text-xs text-emerald-700 dark:text-emerald-300" data-testid="dlq-resent-as">
                        resent as{' '}
                        {m.resentAs.map((id) => (
                          <Link key={id} href={messageHref(id)} className="font-mono underline underline-offset-2">{id}</Link>
                        ))}
                      </span>
                    ) : null}
                  </td>
                  <td className="py-1.5 pr-3 font-mono text-xs" data-testid="dlq-original-topic">{m.originalTopic ?? '–'}</td>
                  <td className="py-1.5 pr-3 text-right tabular-nums">{m.reconsumeTimes}</td>
                  <td className="py-1.5 pr-3 text-xs">{m.reason ?? <span className="text-slate-600 dark:text-slate-400">not seen by the lab&apos;s consumers</span>}</td>
                  <td className="py-1.5 pr-3 font-mono text-xs">{stamp(m.storeTimestamp)}</td>
                  <td className="py-1.5">
                    <Button
                      className="px-2.5 py-1 text-xs"
                      data-testid={`dlq-resend-${m.queueOffset}`}
                      disabled={Boolean(blocked) || !m.originalTopic}
                      title={blocked ?? (m.originalTopic ? undefined : 'no original topic (RETRY_TOPIC) recorded')}
                      onClick={() => setConfirm([m.queueOffset])}
                      aria-label={`Resend the message at queue offset ${m.queueOffset} to ${m.originalTopic ?? 'its original topic'}`}
                    >
                      Resend
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {page ? (
            <div className="mt-2 flex flex-wrap items-center gap-2 text-xs text-slate-600 dark:text-slate-400">
              <span>Queue offsets {page.startOffset}–{page.nextOffset - 1} of {page.minOffset}–{Math.max(page.minOffset, page.maxOffset - 1)}.</span>
              <OffsetPager page={page} pageSize={PAGE} onRead={setStartOffset} newestDisabled={startOffset === undefined} small testIdPrefix="dlq" />
            </div>
          ) : null}
        </div>
      )}

      {resend.error ? (
        <RequestError>{errorMessage(resend.error)}</RequestError>
      ) : null}
      {resend.data ? (
        <div ref={resultRef} tabIndex={-1} data-testid="dlq-resend-result" role="status" className="mt-3 rounded-md border border-slate-200 px-3 py-2 text-sm focus:outline-none focus-visible:outline-2 focus-visible:outline-emerald-500 dark:border-slate-700">
          <p className="font-medium">Resent {resend.data.filter((r) => r.result).length} of {resend.data.length}:</p>
          <ul className="mt-1 space-y-1">
            {resend.data.map((r) => (
              <li key={r.queueOffset} className="text-xs">
                offset {r.queueOffset} →{' '}
                {r.result ? (
                  <>
                    <span className="font-semibold" data-testid="dlq-resend-status">{r.result.sendStatus}</span> to <span className="font-mono">{r.targetTopic}</span> queue {r.result.queueId} @ {r.result.queueOffset}, new UNIQ_KEY{' '}
                    <Link href={messageHref(r.result.msgId)} data-testid="dlq-resend-msg-id" className="font-mono text-emerald-700 underline underline-offset-2 dark:text-emerald-300">{r.result.msgId}</Link>
                  </>
                ) : (
                  <span className="text-red-700 dark:text-red-300">{r.error}</span>
                )}
              </li>
            ))}
          </ul>
        </div>
      ) : null}

      <ConfirmDialog
        open={confirm !== null}
        title={confirm && confirm.length > 1 ? `Resend ${confirm.length} messages?` : 'Resend this message?'}
        confirmLabel="Resend"
        danger={false}
        onCancel={() => setConfirm(null)}
        onConfirm={() => {
          const offsets = confirm;
          setConfirm(null);
          if (offsets) resend.mutate({ topic, queueOffsets: offsets });
        }}
      >
        <p>
          Sends a copy of {confirm && confirm.length > 1 ? `these ${confirm.length} messages` : 'the message'} back to{' '}
          {[...new Set(chosenRows.map((m) => m.originalTopic ?? '?'))].join(', ') || 'the original topic'} through a real producer: same body, KEYS and
          tag, a new UNIQ_KEY (ZL_RESENT_FROM names the dead one). The dead letter stays in {topic}.
        </p>
        <p className="mt-2">Consumers of that topic get it again; if they still fail it, it comes back here after maxReconsumeTimes.</p>
      </ConfirmDialog>
    </Card>
  );
}
