/**
 * One message's durability ladder as a horizontal stepper: sent → stored → flushed → replicated →
 * delivered → consumed, each reached or not, with its time and the delay since the previous stage.
 */
import type { ReactNode } from 'react';
import { ms } from '../../_lib/format';
import { Card } from '../ui/card';
import { delta, stamp, STAGE_HELP, STAGE_LABEL, type MessageView } from './format';

export function DurabilityLadder({ message }: { message: MessageView }) {
  const send = message.send;
  const sendFailed = send !== null && !['SEND_OK', 'FLUSH_DISK_TIMEOUT', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE'].includes(send.status);
  return (
    <Card title="Durability ladder" titleId="ladder-title" testId="message-ladder">
      <dl className="mb-4 grid grid-cols-2 gap-x-6 gap-y-1 text-sm sm:grid-cols-4">
        <Field label="UNIQ_KEY" value={<span className="font-mono break-all" data-testid="message-id">{message.id}</span>} />
        <Field label="Topic / queue" value={`${message.topic ?? '–'} / ${message.queueId ?? '–'}${message.queueOffset !== null ? ` @ ${message.queueOffset}` : ''}`} />
        <Field label="Producer / seq" value={`${message.producerId ?? '–'} / ${message.seq ?? '–'}`} />
        <Field
          label="Send status"
          value={
            send ? (
              <span data-testid="message-send-status" className={sendFailed ? 'font-semibold text-red-700 dark:text-red-300' : send.status === 'SEND_OK' ? 'text-emerald-700 dark:text-emerald-300' : 'font-semibold text-amber-700 dark:text-amber-300'}>
                {send.status} <span className="text-slate-500 dark:text-slate-400">in {ms(send.latencyMs)}</span>
              </span>
            ) : (
              <span className="text-slate-500 dark:text-slate-400">not reported (an external producer?)</span>
            )
          }
        />
        <Field label="offsetMsgId" value={<span className="font-mono break-all">{send?.offsetMsgId ?? '–'}</span>} />
        <Field label="Commit-log offset" value={message.commitLogOffset !== null ? `${message.commitLogOffset} (${message.size} B)` : '–'} />
        {message.storedCount > 1 ? <Field label="Stored" value={`${message.storedCount} times (a producer retry stored it again)`} /> : null}
        {send?.error ? <Field label="Error" value={<span className="text-red-700 dark:text-red-300">{send.error}</span>} /> : null}
      </dl>
      <ol className="flex flex-col gap-2 sm:flex-row sm:gap-0" aria-label="Stages reached">
        {message.ladder.map((step, i) => {
          const reached = step.atMs !== null;
          return (
            <li
              key={step.stage}
              data-testid={`ladder-stage-${step.stage}`}
              data-reached={reached ? 'true' : 'false'}
              className="relative flex min-w-0 flex-1 items-start gap-2 sm:flex-col sm:items-center sm:text-center"
              title={STAGE_HELP[step.stage]}
            >
              {i > 0 ? (
                <span
                  aria-hidden="true"
                  className={`absolute top-3 right-1/2 hidden h-0.5 w-full sm:block ${reached ? 'bg-emerald-500' : 'bg-slate-200 dark:bg-slate-700'}`}
                />
              ) : null}
              <span
                aria-hidden="true"
                className={`relative z-10 flex h-6 w-6 shrink-0 items-center justify-center rounded-full border-2 text-xs font-bold ${
                  reached ? 'border-emerald-500 bg-emerald-500 text-white' : 'border-slate-300 bg-white text-slate-400 dark:border-slate-600 dark:bg-slate-900'
                }`}
              >
                {reached ? '✓' : i + 1}
              </span>
              <span className="min-w-0 sm:mt-1">
                <span className="block text-sm font-medium">
                  {STAGE_LABEL[step.stage]}
                  <span className="sr-only">{reached ? ': reached' : ': not reached'}</span>
                </span>
                <span className="block font-mono text-xs text-slate-600 dark:text-slate-400">{reached ? stamp(step.atMs!) : 'not reached'}</span>
                {step.deltaMs !== null ? <span className="block text-xs text-slate-500 dark:text-slate-400">{delta(step.deltaMs)}</span> : null}
              </span>
            </li>
          );
        })}
      </ol>
      <p className="mt-3 text-xs text-slate-500 dark:text-slate-400">
        Deltas are from the previous stage. Stored, flushed and replicated times come from the broker&apos;s ~50 ms report batches, so a
        delivery can appear a little before them; under ASYNC_FLUSH a message is often delivered before it is flushed.
      </p>
      <Notes message={message} />
    </Card>
  );
}

function Notes({ message }: { message: MessageView }) {
  const notes: { tone: 'red' | 'amber'; text: string }[] = [];
  if (message.cutAt !== null) {
    notes.push({ tone: 'red', text: `A power cut at ${stamp(message.cutAt)} removed its bytes from the master's commit log: they were past the fdatasync'd length.${message.consumedAt === null ? ' It was never consumed.' : ''}` });
  }
  if (message.frontierLostAt !== null && (message.flushedAt === null || message.replicatedAt === null)) {
    notes.push({ tone: 'amber', text: `The broker restarted or lost power at ${stamp(message.frontierLostAt)} before this message was confirmed ${message.flushedAt === null ? 'flushed' : 'replicated'}; offsets may be reused after a restart, so later watermarks are not counted for it.` });
  }
  if (notes.length === 0) return null;
  return (
    <ul className="mt-4 space-y-2 text-sm">
      {notes.map((n) => (
        <li key={n.text} className={`rounded-md px-3 py-2 ${n.tone === 'red' ? 'bg-red-50 text-red-800 dark:bg-red-950/60 dark:text-red-200' : 'bg-amber-50 text-amber-900 dark:bg-amber-950/60 dark:text-amber-200'}`}>
          {n.text}
        </li>
      ))}
    </ul>
  );
}

function Field({ label, value }: { label: string; value: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-[11px] uppercase tracking-wide text-slate-500 dark:text-slate-400">{label}</dt>
      <dd className="min-w-0">{value}</dd>
    </div>
  );
}
