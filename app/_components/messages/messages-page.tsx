'use client';
/**
 * Messages: look one message up (UNIQ_KEY, offsetMsgId or commit-log offset) and see its durability
 * ladder and consumption history; the latest messages below, a click fills the search.
 * Records come from server/live/message-tracker.ts (the last 100 000 messages since the server started).
 */
import { useState, type FormEvent } from 'react';
import { errorMessage, trpc } from '../../_lib/trpc';
import { Button } from '../ui/button';
import { Card } from '../ui/card';
import { Skeleton } from '../ui/skeleton';
import { ConsumptionHistory } from './consumption-history';
import { DurabilityLadder } from './durability-ladder';
import { lookupInputs, type LookupInput, type SearchKind } from './format';
import { RecentMessages } from './recent-messages';

const KINDS: { value: SearchKind; label: string }[] = [
  { value: 'auto', label: 'Auto' },
  { value: 'id', label: 'UNIQ_KEY' },
  { value: 'offsetMsgId', label: 'offsetMsgId' },
  { value: 'offset', label: 'Commit-log offset' },
];

export function MessagesPage() {
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

  const pick = (id: string) => {
    setText(id);
    setKind('id');
    search(id, 'id');
    if (typeof window !== 'undefined') window.scrollTo({ top: 0, behavior: 'smooth' });
  };

  return (
    <div className="grid gap-4">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Messages</h1>
        <p className="max-w-3xl text-sm text-slate-600 dark:text-slate-400">
          Look a message up and see when it reached each stage: sent, stored in the commit log, flushed to disk, replicated to the slave,
          delivered and consumed. A message is safe from a power cut only once flushed, and from losing the master only once replicated.
        </p>
      </div>
      <Card title="Look a message up" titleId="message-search-title">
        <form onSubmit={onSubmit} className="flex flex-wrap items-end gap-2" role="search" noValidate>
          <label className="flex min-w-[16rem] flex-1 flex-col gap-1 text-xs text-slate-600 dark:text-slate-300">
            Message id (UNIQ_KEY), offsetMsgId or commit-log offset
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
      {inputs ? <LookupResult key={JSON.stringify(inputs)} inputs={inputs} /> : null}
      <RecentMessages onPick={pick} />
    </div>
  );
}

const isNotFound = (error: unknown) => (error as { data?: { code?: string } } | null)?.data?.code === 'NOT_FOUND';

/** The first input is tried; on NOT_FOUND the second (auto mode: a 32-hex value may be a UNIQ_KEY or an offsetMsgId). */
function LookupResult({ inputs }: { inputs: LookupInput[] }) {
  const refetchInterval = (query: { state: { data?: { consumedAt: number | null; dlqAt: number | null } } }) =>
    query.state.data && (query.state.data.consumedAt !== null || query.state.data.dlqAt !== null) ? false : 2000;
  const first = trpc.messages.lookup.useQuery(inputs[0], { retry: false, refetchInterval });
  const fallback = inputs[1];
  const second = trpc.messages.lookup.useQuery(fallback ?? inputs[0], { retry: false, enabled: fallback !== undefined && first.isError && isNotFound(first.error), refetchInterval });
  const active = fallback !== undefined && first.isError && isNotFound(first.error) ? second : first;

  if (active.isPending && active.fetchStatus !== 'idle') {
    return (
      <div className="grid gap-2" aria-busy="true" aria-label="Looking the message up">
        <Skeleton className="h-40" />
        <Skeleton className="h-24" />
      </div>
    );
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
    return (
      <div role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950/60 dark:text-red-200">
        {errorMessage(active.error)}{' '}
        <Button variant="ghost" onClick={() => void active.refetch()}>Retry</Button>
      </div>
    );
  }
  if (!active.data) return null;
  return (
    <div className="grid gap-4">
      <DurabilityLadder message={active.data} />
      <ConsumptionHistory message={active.data} />
    </div>
  );
}
