'use client';
/**
 * Browse a queue: pick a topic, a queue and a start offset (empty = the newest page); a page of
 * messages read from the broker with PULL_MESSAGE (no consumer offset is committed). Each row shows
 * the queue and commit-log offsets, store time, KEYS, tags, properties and a body preview.
 */
import { useState, type FormEvent } from 'react';
import { errorMessage, trpc, type RouterInputs } from '../../_lib/trpc';
import { bytes, truncate } from '../../_lib/format';
import { Button } from '../ui/button';
import { Card } from '../ui/card';
import { EmptyNote, LoadingRows, RequestError } from '../ui/query-state';
import { Field, NumberField, inputClass, toNumber } from '../ui/form';
import { fieldIssues } from '../ui/field-errors';
import { stamp } from './format';
import { MessageIdLink, OffsetPager } from './message-links';

type BrowseInput = RouterInputs['messages']['browse'];
const PAGE_SIZES = [10, 20, 50, 100];
const ID = 'browse';

export function QueueBrowser() {
  const topics = trpc.topics.list.useQuery(undefined, { refetchInterval: 5000 });
  const [topic, setTopic] = useState('TopicTest');
  const [queueId, setQueueId] = useState('0');
  const [startOffset, setStartOffset] = useState('');
  const [limit, setLimit] = useState(20);
  const [input, setInput] = useState<BrowseInput | null>(null);
  const page = trpc.messages.browse.useQuery(input ?? { topic: 'TopicTest', queueId: 0 }, { enabled: input !== null, retry: false });

  const route = topics.data?.find((t) => t.topic === topic);
  const queueNums = route?.brokers[0]?.readQueueNums ?? 0;
  const issues = fieldIssues(page.error, ['topic', 'queueId', 'startOffset', 'limit']);

  const read = (offset: number | undefined) => {
    setStartOffset(offset === undefined ? '' : String(offset));
    setInput({ topic, queueId: toNumber(queueId), limit, ...(offset === undefined ? {} : { startOffset: offset }) });
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setInput({ topic, queueId: toNumber(queueId), limit, ...(startOffset.trim() === '' ? {} : { startOffset: toNumber(startOffset) }) });
  };

  return (
    <>
      <Card title="Browse a queue" titleId="browse-title" testId="queue-browser">
        <form onSubmit={submit} noValidate aria-labelledby="browse-title" className="grid grid-cols-2 gap-3 sm:grid-cols-4">
          <Field
            label="Topic"
            name="topic"
            issues={issues}
            idPrefix={ID}
            after={topics.isError ? <span className="mt-1 block text-xs text-red-700 dark:text-red-300">Topics could not be listed: {errorMessage(topics.error)}</span> : null}
          >
            {(invalid) => (
              <select
                data-testid="browse-topic"
                name="topic"
                value={topic}
                onChange={(e) => {
                  setTopic(e.target.value);
                  setQueueId('0');
                }}
                className={`${inputClass} font-mono`}
                {...invalid}
              >
                {topics.data && !route ? <option value={topic}>{topic}</option> : null}
                {(topics.data ?? [{ topic: 'TopicTest', brokers: [] }]).map((t) => (
                  <option key={t.topic} value={t.topic}>{t.topic}</option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Queue" name="queueId" issues={issues} idPrefix={ID}>
            {(invalid) => (
              <select data-testid="browse-queue" name="queueId" value={queueId} onChange={(e) => setQueueId(e.target.value)} className={inputClass} {...invalid}>
                {Array.from({ length: Math.max(1, queueNums) }, (_, i) => (
                  <option key={i} value={String(i)}>{i}</option>
                ))}
              </select>
            )}
          </Field>
          <NumberField name="startOffset" label="Start offset" unit="empty = newest" testId="browse-start-offset" value={startOffset} onChange={setStartOffset} issues={issues} idPrefix={ID} min={0} />
          <label className="text-sm">
            <span className="font-medium">Page size</span>
            <select data-testid="browse-limit" name="limit" value={limit} onChange={(e) => setLimit(Number(e.target.value))} className={inputClass}>
              {PAGE_SIZES.map((n) => (
                <option key={n} value={n}>{n}</option>
              ))}
            </select>
          </label>
          <div className="col-span-full flex flex-wrap items-center gap-2">
            <Button type="submit" variant="primary" data-testid="browse-read" busy={page.isFetching}>Read messages</Button>
            <span className="text-xs text-slate-600 dark:text-slate-400">Reads with PULL_MESSAGE and commits no consumer offset: no consumer group moves.</span>
          </div>
        </form>
        {page.isError && issues.size === 0 ? (
          <RequestError>{errorMessage(page.error)}</RequestError>
        ) : null}
      </Card>

      {input === null ? null : page.isPending ? (
        <LoadingRows label="Reading the queue" rows={['h-8', 'h-40']} />
      ) : page.data ? (
        <Card
          title={`${page.data.topic} · queue ${page.data.queueId}`}
          titleId="browse-page-title"
          testId="browse-page"
          actions={
            <div className="flex flex-wrap gap-2">
              <OffsetPager page={page.data} pageSize={limit} onRead={read} testIdPrefix="browse" />
            </div>
          }
        >
          <p className="mb-2 text-xs text-slate-600 dark:text-slate-400" data-testid="browse-range">
            Queue offsets {page.data.minOffset}–{Math.max(page.data.minOffset, page.data.maxOffset - 1)} stored on {page.data.brokerAddr}; showing{' '}
            {page.data.messages.length === 0 ? 'nothing' : `${page.data.startOffset}–${page.data.nextOffset - 1}`}.
          </p>
          {page.data.messages.length === 0 ? (
            <EmptyNote testId="browse-empty">{page.data.maxOffset === page.data.minOffset ? 'This queue is empty.' : 'No message from this offset on.'}</EmptyNote>
          ) : (
            <div className="relative -mx-4 overflow-x-auto px-4">
              <table className="w-full min-w-[56rem] border-collapse text-left text-sm">
                <caption className="sr-only">Messages of {page.data.topic} queue {page.data.queueId} from queue offset {page.data.startOffset}</caption>
                <thead>
                  <tr className="border-b border-slate-200 text-[11px] uppercase tracking-wide text-slate-600 dark:border-slate-800 dark:text-slate-400">
                    <th scope="col" className="py-1.5 pr-3 text-right font-semibold">Queue offset</th>
                    <th scope="col" className="py-1.5 pr-3 font-semibold">UNIQ_KEY</th>
                    <th scope="col" className="py-1.5 pr-3 font-semibold">Stored</th>
                    <th scope="col" className="py-1.5 pr-3 font-semibold">KEYS / tag</th>
                    <th scope="col" className="py-1.5 pr-3 text-right font-semibold">Commit-log offset</th>
                    <th scope="col" className="py-1.5 font-semibold">Body and properties</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.messages.map((m) => (
                    <tr key={m.queueOffset} data-testid="browse-row" className="border-b border-slate-100 align-top last:border-0 dark:border-slate-800/60">
                      <td className="py-1.5 pr-3 text-right tabular-nums" data-testid="browse-row-offset">{m.queueOffset}</td>
                      <td className="py-1.5 pr-3">
                        <MessageIdLink msgId={m.msgId} tracked={m.tracked} />
                        {m.reconsumeTimes > 0 ? <span className="block text-xs text-slate-600 dark:text-slate-400">reconsumeTimes {m.reconsumeTimes}</span> : null}
                      </td>
                      <td className="py-1.5 pr-3 font-mono text-xs">{stamp(m.storeTimestamp)}</td>
                      <td className="py-1.5 pr-3 font-mono text-xs" data-testid="browse-row-keys">
                        {m.keys ?? '–'}
                        {m.tags ? <span className="block text-slate-600 dark:text-slate-400">tag {m.tags}</span> : null}
                      </td>
                      <td className="py-1.5 pr-3 text-right font-mono text-xs">{m.commitLogOffset}</td>
                      <td className="py-1.5 text-xs">
                        <span className="block break-all font-mono">{truncate(m.bodyPreview, 80) || <em className="text-slate-600 dark:text-slate-400">empty body</em>}</span>
                        <details className="mt-0.5">
                          <summary className="cursor-pointer rounded text-slate-600 focus-visible:outline-2 focus-visible:outline-emerald-500 dark:text-slate-400">
                            {bytes(m.bodyBytes)} {m.bodyEncoding === 'hex' ? '(binary, shown as hex)' : ''} · {Object.keys(m.properties).length} properties
                          </summary>
                          <dl className="mt-1 grid grid-cols-[auto_1fr] gap-x-2 font-mono">
                            {Object.entries(m.properties).map(([k, v]) => (
                              <div key={k} className="contents">
                                <dt className="text-slate-600 dark:text-slate-400">{k}</dt>
                                <dd className="break-all">{v}</dd>
                              </div>
                            ))}
                          </dl>
                        </details>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Card>
      ) : null}
    </>
  );
}
