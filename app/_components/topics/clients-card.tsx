'use client';
/**
 * Producer and consumer groups the master knows from heartbeats (LiveState.clients): a user's own
 * application ("external") highlighted beside the lab's built-in traffic; and how to point one at Zeroloss.
 */
import { useState } from 'react';
import type { ClientGroupView } from '@/server/live/types';
import { Card } from '../ui/card';
import { EmptyNote } from '../ui/query-state';

function GroupRow({ g }: { g: ClientGroupView }) {
  return (
    <li
      data-testid={`client-group-${g.group}`}
      data-external={g.external}
      data-kind={g.kind}
      className={`rounded-lg border p-3 ${
        g.external
          ? 'border-violet-300 bg-violet-50 dark:border-violet-800 dark:bg-violet-950/40'
          : 'border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900'
      }`}
    >
      <div className="flex flex-wrap items-center gap-1.5">
        <span
          className={`rounded px-1.5 py-0.5 text-[10px] font-semibold uppercase tracking-wide ${
            g.kind === 'producer' ? 'bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-200' : 'bg-orange-100 text-orange-800 dark:bg-orange-950 dark:text-orange-200'
          }`}
        >
          {g.kind}
        </span>
        <span className="break-all font-mono text-sm font-semibold">{g.group}</span>
        {g.external ? (
          <span className="rounded-full bg-violet-600 px-2 py-0.5 text-[11px] font-semibold text-white">your application</span>
        ) : (
          <span className="rounded-full bg-slate-100 px-2 py-0.5 text-[11px] font-medium text-slate-600 dark:bg-slate-800 dark:text-slate-300">built-in</span>
        )}
      </div>
      <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-xs">
        <dt className="text-slate-500 dark:text-slate-400">client{g.clientIds.length === 1 ? '' : 's'}</dt>
        <dd className="min-w-0">
          {g.clientIds.length === 0 ? (
            <span className="text-slate-400">none connected</span>
          ) : (
            <ul className="space-y-0.5">
              {g.clientIds.map((id) => (
                <li key={id} className="break-all font-mono">
                  {id}
                </li>
              ))}
            </ul>
          )}
        </dd>
        <dt className="text-slate-500 dark:text-slate-400">topics</dt>
        <dd className="min-w-0 break-all font-mono">
          {g.topics.length > 0 ? g.topics.join(', ') : <span className="font-sans text-slate-400">{g.kind === 'producer' ? 'not reported by producer heartbeats' : '–'}</span>}
        </dd>
      </dl>
    </li>
  );
}

export function ClientsCard({ clients }: { clients: ClientGroupView[] | null }) {
  const external = clients?.filter((c) => c.external).length ?? 0;
  return (
    <Card
      title="Producer and consumer groups"
      titleId="clients-title"
      testId="clients-card"
      actions={
        clients ? (
          <span className="text-xs text-slate-500 dark:text-slate-400">
            {clients.length} group{clients.length === 1 ? '' : 's'}
            {external > 0 ? ` · ${external} from your application` : ''}
          </span>
        ) : null
      }
    >
      <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">Known from the clients’ heartbeats to the master. External groups are your own application’s.</p>
      {clients === null ? (
        <p className="text-sm text-slate-500 dark:text-slate-400">Waiting for the live state…</p>
      ) : clients.length === 0 ? (
        <EmptyNote boxed>
          No client has sent a heartbeat yet: start traffic or consumers on the overview page, or connect your own application.
        </EmptyNote>
      ) : (
        <div className="grid gap-4 md:grid-cols-2">
          {(['producer', 'consumer'] as const).map((kind) => {
            const groups = clients.filter((c) => c.kind === kind);
            return (
              <section key={kind} aria-label={`${kind} groups`}>
                <h3 className="mb-2 text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">
                  {kind === 'producer' ? 'Producers' : 'Consumers'} ({groups.length})
                </h3>
                {groups.length === 0 ? (
                  <p className="text-sm text-slate-500 dark:text-slate-400">none</p>
                ) : (
                  <ul className="space-y-2">
                    {groups.map((g) => (
                      <GroupRow key={`${g.kind}-${g.group}`} g={g} />
                    ))}
                  </ul>
                )}
              </section>
            );
          })}
        </div>
      )}
    </Card>
  );
}

function CopyBlock({ code, label }: { code: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="relative">
      <pre
        tabIndex={0}
        aria-label={label}
        className="overflow-x-auto whitespace-pre-wrap break-words rounded-md bg-slate-950 p-2.5 pr-14 font-mono text-[11px] leading-4 text-slate-100"
      >
        {code}
      </pre>
      <button
        type="button"
        onClick={() => {
          void navigator.clipboard?.writeText(code).then(
            () => {
              setCopied(true);
              setTimeout(() => setCopied(false), 1500);
            },
            () => {},
          );
        }}
        className="absolute right-1.5 top-1.5 rounded bg-slate-800 px-2 py-0.5 text-[11px] text-slate-200 hover:bg-slate-700 focus-visible:outline-2 focus-visible:outline-emerald-500"
      >
        {copied ? 'copied' : 'copy'}
      </button>
    </div>
  );
}

export function DrillYourApp({ address }: { address: string | null }) {
  const addr = address ?? '127.0.0.1:9876';
  return (
    <Card title="Drill your own application" titleId="own-app-title" testId="drill-own-app">
      <p className="text-sm text-slate-600 dark:text-slate-400">
        Point any RocketMQ 4.x client at the Zeroloss name server
        {address ? (
          <>
            {' '}
            <code data-testid="namesrv-address" className="rounded bg-slate-100 px-1 font-mono text-slate-900 dark:bg-slate-800 dark:text-slate-100">
              {address}
            </code>
          </>
        ) : (
          <span className="text-amber-700 dark:text-amber-300"> (not running yet; the usual address is 127.0.0.1:9876)</span>
        )}
        . Its groups show up above as “your application”; then crash the broker or run a drill and see what your code keeps.
      </p>
      <div className="mt-3 space-y-2">
        <p className="text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">Node.js (ali-ons)</p>
        <CopyBlock
          label="ali-ons producer configuration"
          code={`const { Producer, Message } = require('ali-ons');\nconst producer = new Producer({ nameSrv: '${addr}', httpclient: {}, producerGroup: 'PID_my_app' });\nawait producer.ready();\nawait producer.send(new Message('TopicTest', 'TagA', 'hello'));`}
        />
        <p className="text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">Java (rocketmq-client 4.x)</p>
        <CopyBlock
          label="Java producer configuration"
          code={`DefaultMQProducer producer = new DefaultMQProducer("PID_my_app");\nproducer.setNamesrvAddr("${addr}");\nproducer.start();\nproducer.send(new Message("TopicTest", "TagA", "hello".getBytes()));`}
        />
      </div>
      <p className="mt-2 text-xs text-slate-500 dark:text-slate-400">RocketMQ 5.x gRPC clients are not supported; use the 4.x remoting protocol.</p>
    </Card>
  );
}
