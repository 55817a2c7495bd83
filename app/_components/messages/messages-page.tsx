'use client';
/**
 * Messages, in three tabs kept in the URL (?tab=lookup|browse|dlq):
 * - Look up: one message by UNIQ_KEY, KEYS, offsetMsgId or commit-log offset, with its durability
 *   ladder and consumption history; the latest messages below, a click fills the search
 *   (records from server/live/message-tracker.ts; keys also by a bounded broker scan);
 * - Browse a queue: a page of messages read from the broker without committing an offset;
 * - Dead-letter queues: %DLQ% topics, their messages, and resend.
 * ?id=<UNIQ_KEY> or ?key=<key> opens the lookup with that search.
 */
import { Suspense, useCallback, useEffect, useState, type FormEvent } from 'react';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { errorMessage, trpc } from '../../_lib/trpc';
import { Button } from '../ui/button';
import { Card } from '../ui/card';
import { Skeleton } from '../ui/skeleton';
import { ConsumptionHistory } from './consumption-history';
import { DurabilityLadder } from './durability-ladder';
import { lookupInputs, type LookupInput, type SearchKind } from './format';
import { RecentMessages } from './recent-messages';
import { KeyResults } from './key-results';
import { QueueBrowser } from './queue-browser';
import { DlqView } from './dlq-view';
import { Tabs } from './tabs';
import { LoadError, LoadingRows } from '../ui/query-state';
import { TargetNote } from '../traffic/target-card';
import { useClusterState } from '../../_lib/use-cluster-state';

type Tab = 'lookup' | 'browse' | 'dlq';
const TABS: { value: Tab; label: string }[] = [
  { value: 'lookup', label: 'Look up' },
  { value: 'browse', label: 'Browse a queue' },
  { value: 'dlq', label: 'Dead-letter queues' },
];

const KINDS: { value: SearchKind; label: string }[] = [
  { value: 'auto', label: 'Auto' },
  { value: 'id', label: 'UNIQ_KEY' },
  { value: 'key', label: 'Key (KEYS)' },
  { value: 'offsetMsgId', label: 'offsetMsgId' },
  { value: 'offset', label: 'Commit-log offset' },
];

export function MessagesPage() {
  return (
    <div className="grid gap-4">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Messages</h1>
        <p className="max-w-3xl text-sm text-slate-600 dark:text-slate-400">
          Look a message up and see when it reached each stage: sent, stored in the commit log, flushed to disk, replicated to the slave,
          delivered and consumed. A message is safe from a power cut only once flushed, and from losing the master only once replicated.
          Browse any queue as the broker stores it, and send dead letters back.
        </p>
      </div>
      <MessagesTarget />
      <Suspense fallback={<Skeleton className="h-40" />}>
        <MessagesTabs />
      </Suspense>
    </div>
  );
}

/** Lookups, browsing and resends go to the Traffic page's target: said when it is an external cluster. */
function MessagesTarget() {
  const { state } = useClusterState();
  return <TargetNote state={state} />;
}

function MessagesTabs() {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname() ?? '/messages';
  const fromUrl = params?.get('tab');
  const tab: Tab = fromUrl === 'browse' || fromUrl === 'dlq' ? fromUrl : 'lookup';
  const select = (next: Tab) => router.replace(next === 'lookup' ? pathname : `${pathname}?tab=${next}`, { scroll: false });
  return (
    <Tabs label="Messages views" tabs={TABS} selected={tab} onSelect={select} idPrefix="messages">
      {tab === 'lookup' ? <LookupView initialId={params?.get('id') ?? null} initialKey={params?.get('key') ?? null} /> : tab === 'browse' ? <QueueBrowser /> : <DlqView />}
    </Tabs>
  );
}

function LookupView({ initialId, initialKey }: { initialId: string | null; initialKey: string | null }) {
  const [text, setText] = useState('');
  const [kind, setKind] = useState<SearchKind>('auto');
  const [inputs, setInputs] = useState<LookupInput[] | null>(null);
  const [formError, setFormError] = useState<string | null>(null);

  const search = (value: string, searchKind: SearchKind) => {
    const parsed = lookupInputs(searchKind, value);
    if (typeof parsed === 'string') {
      setFormError(parsed);
      setInputs(null);
      return;
    }
    setFormError(null);
    setInputs(parsed);
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    search(text, kind);
  };

  const pick = useCallback((id: string) => {
    setText(id);
    setKind('id');
    const parsed = lookupInputs('id', id);
    if (typeof parsed !== 'string') {
      setFormError(null);
      setInputs(parsed);
    }
    if (typeof window !== 'undefined') window.scrollTo({ top: 0, behavior: 'smooth' });
  }, []);

  // ?id= or ?key= in the URL (a link from the Traffic page, a DLQ resend): search it once.
  useEffect(() => {
    const [value, k] = initialId ? [initialId, 'id' as const] : initialKey ? [initialKey, 'key' as const] : [null, null];
    if (!value || !k) return;
    setText(value);
    setKind(k);
    const parsed = lookupInputs(k, value);
    if (typeof parsed === 'string') setFormError(parsed);
    else setInputs(parsed);
  }, [initialId, initialKey]);

  return (
    <>
      <Card title="Look a message up" titleId="message-search-title">
        <form onSubmit={onSubmit} className="flex flex-wrap items-end gap-2" role="search" noValidate>
          <label className="flex min-w-[16rem] flex-1 flex-col gap-1 text-xs text-slate-600 dark:text-slate-300">
            Message id (UNIQ_KEY), key, offsetMsgId or commit-log offset
            <input
              data-testid="message-search"
              value={text}
              onChange={(e) => setText(e.target.value)}
              placeholder="7F0000010A2B18B4AAC2…"
              spellCheck={false}
              autoComplete="off"
              aria-invalid={formError ? true : undefined}
              aria-describedby={formError ? 'message-search-error' : undefined}
              className="rounded-md border border-slate-300 bg-white px-3 py-1.5 font-mono text-sm text-slate-900 aria-[invalid]:border-red-500 dark:border-slate-700 dark:bg-slate-950 dark:text-slate-100"
            />
          </label>
          <label className="flex flex-col gap-1 text-xs text-slate-600 dark:text-slate-300">
            Search by
            <select
              data-testid="message-search-kind"
              value={kind}
              onChange={(e) => setKind(e.target.value as SearchKind)}
              className="rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm dark:border-slate-700 dark:bg-slate-900"
            >
              {KINDS.map((k) => (
                <option key={k.value} value={k.value}>{k.label}</option>
              ))}
            </select>
          </label>
          <Button type="submit" variant="primary" data-testid="message-search-submit">Look up</Button>
        </form>
        {formError ? (
          <p id="message-search-error" role="alert" className="mt-2 text-sm text-red-700 dark:text-red-300">{formError}</p>
        ) : null}
      </Card>
      {inputs ? (
        'key' in inputs[0] ? <KeyResults key={inputs[0].key} searchKey={inputs[0].key} onPick={pick} /> : <LookupResult key={JSON.stringify(inputs)} inputs={inputs as Exclude<LookupInput, { key: string }>[]} />
      ) : null}
      <RecentMessages onPick={pick} />
    </>
  );
}

const isNotFound = (error: unknown) => (error as { data?: { code?: string } } | null)?.data?.code === 'NOT_FOUND';

/** The first input is tried; on NOT_FOUND the second (auto mode: a 32-hex value may be a UNIQ_KEY or an offsetMsgId). */
function LookupResult({ inputs }: { inputs: Exclude<LookupInput, { key: string }>[] }) {
  const refetchInterval = (query: { state: { data?: { consumedAt: number | null; dlqAt: number | null } } }) =>
    query.state.data && (query.state.data.consumedAt !== null || query.state.data.dlqAt !== null) ? false : 2000;
  const first = trpc.messages.lookup.useQuery(inputs[0], { retry: false, refetchInterval });
  const fallback = inputs[1];
  const second = trpc.messages.lookup.useQuery(fallback ?? inputs[0], { retry: false, enabled: fallback !== undefined && first.isError && isNotFound(first.error), refetchInterval });
  const active = fallback !== undefined && first.isError && isNotFound(first.error) ? second : first;

  if (active.isPending && active.fetchStatus !== 'idle') {
    return <LoadingRows label="Looking the message up" rows={['h-40', 'h-24']} />;
  }
  if (active.isError) {
    if (isNotFound(active.error)) {
      return (
        <div data-testid="message-not-found" role="status" className="rounded-xl border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950/60 dark:text-amber-200">
          <p className="font-medium">Message not found.</p>
          <p>{errorMessage(active.error)}</p>
        </div>
      );
    }
    return <LoadError error={active.error} onRetry={() => void active.refetch()} />;
  }
  if (!active.data) return null;
  return (
    <div className="grid gap-4">
      <DurabilityLadder message={active.data} />
      <ConsumptionHistory message={active.data} />
    </div>
  );
}
