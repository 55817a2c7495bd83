'use client';
/**
 * The topics the name server routes (topics.list), system topics behind a toggle, and a form that
 * creates one the RocketMQ way (UPDATE_AND_CREATE_TOPIC, as `mqadmin updateTopic` sends it).
 */
import { useMemo, useState, type FormEvent } from 'react';
import { AUTO_CREATE_TOPIC_KEY_TOPIC, SCHEDULE_TOPIC, TRANS_CHECK_MAX_TIME_TOPIC, isSystemTopic } from '@/broker/protocol/codes';
import { errorMessage, trpc } from '../../_lib/trpc';
import { RoleHint } from '../auth/role-hint';
import { useCan } from '../../_lib/session';
import { Button } from '../ui/button';
import { Card } from '../ui/card';
import { Field, TextField, inputClass, toNumber } from '../ui/form';
import { LoadError, LoadingRows, RequestError } from '../ui/query-state';
import { fieldIssues } from '../ui/field-errors';

/** RocketMQ's other built-in topics (TopicValidator's system topics), which the broker does not refuse to create. */
const OTHER_SYSTEM_TOPICS = new Set([TRANS_CHECK_MAX_TIME_TOPIC, AUTO_CREATE_TOPIC_KEY_TOPIC, 'SELF_TEST_TOPIC', 'OFFSET_MOVED_EVENT']);
/** The topics hidden behind "show system topics": the broker's system topics, any name starting SCHEDULE_TOPIC_XXXX, and the others above. */
export function isHiddenSystemTopic(topic: string): boolean {
  return isSystemTopic(topic) || topic.startsWith(SCHEDULE_TOPIC) || OTHER_SYSTEM_TOPICS.has(topic);
}

const PERM: Record<number, string> = { 2: 'write', 4: 'read', 6: 'read + write' };
function permText(perm: number): string {
  return PERM[perm & 6] ?? `perm ${perm}`;
}

export function TopicsCard({ brokerRunning }: { brokerRunning: boolean }) {
  const topics = trpc.topics.list.useQuery(undefined, { refetchInterval: 5000 });
  const [showSystem, setShowSystem] = useState(false);
  const rows = useMemo(() => (topics.data ?? []).filter((t) => showSystem || !isHiddenSystemTopic(t.topic)), [topics.data, showSystem]);
  const hidden = (topics.data?.length ?? 0) - rows.length;

  return (
    <Card
      title="Topics"
      titleId="topics-title"
      testId="topics-card"
      actions={
        <label className="inline-flex items-center gap-2 text-xs text-slate-600 dark:text-slate-300">
          <input
            type="checkbox"
            data-testid="topics-show-system"
            checked={showSystem}
            onChange={(e) => setShowSystem(e.target.checked)}
            className="h-4 w-4 rounded border-slate-300 accent-emerald-600"
          />
          show system topics
        </label>
      }
    >
      {topics.isPending ? (
        <LoadingRows label="Loading topics" />
      ) : topics.isError ? (
        <LoadError error={topics.error} onRetry={() => void topics.refetch()} />
      ) : (
        <div className="relative -mx-4 overflow-x-auto px-4">
          <table data-testid="topics-table" className="w-full min-w-[28rem] border-collapse text-left text-sm">
            <caption className="sr-only">Topics routed by the name server</caption>
            <thead>
              <tr className="border-b border-slate-200 text-[11px] uppercase tracking-wide text-slate-500 dark:border-slate-800 dark:text-slate-400">
                <th scope="col" className="py-1.5 pr-3 font-semibold">Topic</th>
                <th scope="col" className="py-1.5 pr-3 font-semibold">Broker</th>
                <th scope="col" className="py-1.5 pr-3 text-right font-semibold">Read queues</th>
                <th scope="col" className="py-1.5 pr-3 text-right font-semibold">Write queues</th>
                <th scope="col" className="py-1.5 font-semibold">Permission</th>
              </tr>
            </thead>
            <tbody>
              {rows.length === 0 ? (
                <tr>
                  <td colSpan={5} className="py-6 text-center text-sm text-slate-500 dark:text-slate-400">
                    {brokerRunning
                      ? 'No topics routed yet.'
                      : 'No topics routed: the broker is not running, so it has not registered its topics with the name server.'}
                  </td>
                </tr>
              ) : (
                rows.flatMap((t) =>
                  (t.brokers.length > 0 ? t.brokers : [null]).map((b, i) => (
                    <tr key={`${t.topic}-${b?.brokerName ?? 'none'}`} data-testid={`topic-row-${t.topic}`} className="border-b border-slate-100 last:border-0 dark:border-slate-800/70">
                      <td className="py-1.5 pr-3 font-mono text-xs">
                        {i === 0 ? (
                          <>
                            {t.topic}
                            {isHiddenSystemTopic(t.topic) ? (
                              <span className="ml-1.5 rounded bg-slate-100 px-1 font-sans text-[10px] text-slate-500 dark:bg-slate-800 dark:text-slate-400">system</span>
                            ) : null}
                          </>
                        ) : null}
                      </td>
                      <td className="py-1.5 pr-3 text-xs">{b?.brokerName ?? '–'}</td>
                      <td className="py-1.5 pr-3 text-right tabular-nums">{b?.readQueueNums ?? '–'}</td>
                      <td className="py-1.5 pr-3 text-right tabular-nums">{b?.writeQueueNums ?? '–'}</td>
                      <td className="py-1.5 text-xs">{b ? permText(b.perm) : '–'}</td>
                    </tr>
                  )),
                )
              )}
            </tbody>
          </table>
          {hidden > 0 ? (
            <p className="mt-2 text-xs text-slate-500 dark:text-slate-400">
              {hidden} system topic{hidden === 1 ? '' : 's'} hidden (%RETRY%, %DLQ%, RMQ_SYS_, SCHEDULE_TOPIC_XXXX and RocketMQ’s other built-in topics).
            </p>
          ) : null}
        </div>
      )}
    </Card>
  );
}


/** the inputs of the create form, which the server's field errors may name */
const FIELDS = ['topic', 'queueNums', 'perm'];
const ID = 'topic-create';

export function CreateTopicForm({ brokerRunning, defaultQueues }: { brokerRunning: boolean; defaultQueues: number }) {
  const utils = trpc.useUtils();
  const [topic, setTopic] = useState('');
  const [queueNums, setQueueNums] = useState(String(defaultQueues));
  const [perm, setPerm] = useState<2 | 4 | 6>(6);
  const [created, setCreated] = useState<string | null>(null);
  const can = useCan('operator');
  const create = trpc.topics.create.useMutation({
    onSuccess: (_data, input) => {
      setCreated(input.topic);
      setTopic('');
    },
    onSettled: () => {
      void utils.topics.list.invalidate();
      void utils.cluster.events.invalidate();
      // the broker registers the new topic with the name server on its next heartbeat
      setTimeout(() => void utils.topics.list.invalidate(), 1500);
    },
  });
  const issues = fieldIssues(create.error, FIELDS);
  const general = create.isError && issues.size === 0 ? errorMessage(create.error) : null;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setCreated(null);
    create.mutate({ topic: topic.trim(), queueNums: toNumber(queueNums), perm });
  };

  return (
    <Card title="Create a topic" titleId="topic-create-title" testId="topic-create-card">
      <form onSubmit={submit} noValidate aria-labelledby="topic-create-title" className="grid grid-cols-2 gap-3">
        <TextField
          name="topic"
          label="Topic"
          testId="topic-create-name"
          placeholder="OrderTopic"
          value={topic}
          onChange={(text) => {
            setTopic(text);
            if (create.isError) create.reset();
          }}
          issues={issues}
          idPrefix={ID}
          className="col-span-2 text-sm"
          announce
        />
        <Field label="Queues" unit="read = write" name="queueNums" issues={issues} idPrefix={ID} announce>
          {(invalid) => (
            <input
              data-testid="topic-create-queues"
              name="queueNums"
              type="number"
              inputMode="numeric"
              min={1}
              max={64}
              step={1}
              value={queueNums}
              onChange={(e) => setQueueNums(e.target.value)}
              className={inputClass}
              {...invalid}
            />
          )}
        </Field>
        <Field label="Permission" name="perm" issues={issues} idPrefix={ID} announce>
          {(invalid) => (
            <select
              data-testid="topic-create-perm"
              name="perm"
              value={perm}
              onChange={(e) => setPerm(Number(e.target.value) as 2 | 4 | 6)}
              className={inputClass}
              {...invalid}
            >
              <option value={6}>6 · read + write</option>
              <option value={4}>4 · read only</option>
              <option value={2}>2 · write only</option>
            </select>
          )}
        </Field>
        <div className="col-span-2 flex flex-wrap items-center gap-2">
          <Button type="submit" variant="primary" data-testid="topic-create-submit" busy={create.isPending} disabled={!brokerRunning || !can.allowed} title={can.reason}>
            Create topic
          </Button>
          {!brokerRunning ? (
            <span className="text-xs text-slate-500 dark:text-slate-400">The master is not running: start it on the overview page.</span>
          ) : (
            <span className="text-xs text-slate-500 dark:text-slate-400">
              Sent as <code className="font-mono">UPDATE_AND_CREATE_TOPIC</code>, like <code className="font-mono">mqadmin updateTopic</code>.
            </span>
          )}
        </div>
        <div className="col-span-2 -mt-2">
          <RoleHint can={can} what="Creating a topic" testId="topic-create-role-hint" />
        </div>
      </form>
      {general ? (
        <RequestError testId="topic-create-error">
          {general}
        </RequestError>
      ) : null}
      {created ? (
        <p role="status" data-testid="topic-create-ok" className="mt-3 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-900 dark:bg-emerald-950/50 dark:text-emerald-100">
          Topic <code className="font-mono">{created}</code> created; it appears in the table once the broker’s next registration reaches the name server.
        </p>
      ) : null}
    </Card>
  );
}
