'use client';
/**
 * "Publish one test message": one sync send through the control plane's real producer over the
 * remoting protocol; the SendResult as the producer got it, and a link to the message's durability
 * ladder on the Messages page.
 */
import Link from 'next/link';
import { useState, type FormEvent } from 'react';
import type { LiveState } from '@/server/live/types';
import { errorMessage, trpc } from '../../_lib/trpc';
import { ms } from '../../_lib/format';
import { useCan } from '../../_lib/session';
import { STATUS_COLOR } from '../../_lib/status';
import { Button } from '../ui/button';
import { Card } from '../ui/card';
import { RequestError } from '../ui/query-state';
import { Field, NumberField, TextField, inputClass, toNumber } from '../ui/form';
import { DisabledReason, fieldIssues } from '../ui/field-errors';
import { brokerAvailability } from '../../_lib/use-cluster-state';
import { messageHref } from '../messages/message-links';

const ID = 'publish';

export function PublishCard({ state }: { state: LiveState }) {
  const can = useCan('operator');
  const broker = brokerAvailability(state);
  const [topic, setTopic] = useState('TopicTest');
  const [keys, setKeys] = useState('');
  const [tags, setTags] = useState('');
  const [queueId, setQueueId] = useState('');
  const [body, setBody] = useState('hello from the Zeroloss console');
  const publish = trpc.traffic.publish.useMutation();
  const issues = fieldIssues(publish.error, ['topic', 'queueId', 'keys', 'tags', 'body']);
  const blocked = !can.allowed ? can.reason : !broker.up ? broker.reason : undefined;
  const result = publish.data;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (blocked) return;
    publish.mutate({
      topic: topic.trim(),
      body,
      ...(keys.trim() ? { keys: keys.trim() } : {}),
      ...(tags.trim() ? { tags: tags.trim() } : {}),
      ...(queueId.trim() ? { queueId: toNumber(queueId) } : {}),
    });
  };


  return (
    <Card title="Publish one test message" titleId="publish-title" testId="publish-card">
      <form onSubmit={submit} noValidate aria-labelledby="publish-title" className="grid grid-cols-2 gap-3">
        <TextField name="topic" label="Topic" testId="publish-topic" value={topic} onChange={setTopic} issues={issues} idPrefix={ID} />
        <NumberField name="queueId" label="Queue" unit="empty = round-robin" testId="publish-queue-id" value={queueId} onChange={setQueueId} issues={issues} idPrefix={ID} min={0} />
        <TextField name="keys" label="Keys" unit="KEYS; a space separates several" testId="publish-keys" value={keys} onChange={setKeys} issues={issues} idPrefix={ID} />
        <TextField name="tags" label="Tag" testId="publish-tags" value={tags} onChange={setTags} issues={issues} idPrefix={ID} />
        <Field label="Body" unit="UTF-8 text" name="body" issues={issues} idPrefix={ID} className="col-span-full text-sm">
          {(invalid) => (
            <textarea
              data-testid="publish-body"
              name="body"
              rows={3}
              value={body}
              onChange={(e) => setBody(e.target.value)}
              className={`${inputClass} font-mono`}
              {...invalid}
            />
          )}
        </Field>
        <div className="col-span-full flex flex-wrap items-center gap-2">
          <Button type="submit" variant="primary" data-testid="publish-send" busy={publish.isPending} disabled={Boolean(blocked)} aria-describedby={blocked ? 'publish-reason' : undefined}>
            Publish one
          </Button>
          <span id="publish-reason">
            <DisabledReason reason={blocked} testId="publish-reason" />
          </span>
        </div>
      </form>

      {publish.error && issues.size === 0 ? (
        <RequestError testId="publish-error">
          {errorMessage(publish.error)}
        </RequestError>
      ) : null}

      {result ? (
        <div className="mt-3 border-t border-slate-200 pt-3 text-sm dark:border-slate-800" data-testid="publish-result" role="status">
          <p className="mb-2 font-medium">
            SendResult{' '}
            <span data-testid="publish-status" className="rounded px-1.5 py-0.5 font-mono text-xs font-semibold text-white" style={{ background: STATUS_COLOR[result.sendStatus as keyof typeof STATUS_COLOR] ?? '#475569' }}>
              {result.sendStatus}
            </span>{' '}
            <span className="text-slate-600 dark:text-slate-400">in {ms(result.latencyMs)}{result.attempts > 1 ? `, ${result.attempts} attempts` : ''}</span>
          </p>
          <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1">
            <dt className="text-slate-600 dark:text-slate-400">msgId (UNIQ_KEY)</dt>
            <dd className="break-all font-mono text-xs leading-5" data-testid="publish-msg-id">{result.msgId}</dd>
            <dt className="text-slate-600 dark:text-slate-400">offsetMsgId</dt>
            <dd className="break-all font-mono text-xs leading-5" data-testid="publish-offset-msg-id">{result.offsetMsgId}</dd>
            <dt className="text-slate-600 dark:text-slate-400">queue</dt>
            <dd data-testid="publish-queue">{result.topic} / {result.brokerName} / {result.queueId}</dd>
            <dt className="text-slate-600 dark:text-slate-400">queue offset</dt>
            <dd data-testid="publish-queue-offset">{result.queueOffset}</dd>
            {result.keys ? (
              <>
                <dt className="text-slate-600 dark:text-slate-400">keys</dt>
                <dd className="font-mono text-xs leading-5">{result.keys}</dd>
              </>
            ) : null}
          </dl>
          <Link
            href={messageHref(result.msgId)}
            data-testid="publish-ladder-link"
            className="mt-2 inline-block rounded font-medium text-emerald-700 underline underline-offset-2 focus-visible:outline-2 focus-visible:outline-emerald-500 dark:text-emerald-300"
          >
            See its durability ladder
          </Link>
        </div>
      ) : null}
    </Card>
  );
}
