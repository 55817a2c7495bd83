'use client';
/**
 * The audit log: every mutation (allowed or refused), sign-in and sign-out, user and token change,
 * newest first; filter by actor, action, result and time; export the filtered rows as CSV or JSON
 * (GET /api/audit/export, the same filters). Reading it needs the drill role.
 */
import { Fragment, useMemo, useState } from 'react';
import { trpc, type RouterOutputs } from '../../_lib/trpc';
import { useCan } from '../../_lib/session';
import { RoleGate } from '../auth/role-gate';
import { Button } from '../ui/button';
import { Card } from '../ui/card';
import { inputClass } from '../ui/form';
import { EmptyNote, LoadError, LoadingRows } from '../ui/query-state';

type Entry = RouterOutputs['audit']['list']['entries'][number];
interface Filters { actor: string; action: string; result: '' | 'ok' | 'error'; from: string; to: string }
const EMPTY: Filters = { actor: '', action: '', result: '', from: '', to: '' };
const PAGE = 50;

/** datetime-local text (local time) → ms since the epoch */
const toMs = (local: string) => (local ? new Date(local).getTime() : undefined);

function query(f: Filters) {
  return {
    actor: f.actor.trim() || undefined,
    action: f.action.trim() || undefined,
    result: f.result || undefined,
    from: toMs(f.from),
    to: toMs(f.to),
  };
}

function exportHref(f: Filters, format: 'csv' | 'json'): string {
  const params = new URLSearchParams({ format });
  for (const [k, v] of Object.entries(query(f))) if (v !== undefined) params.set(k, String(v));
  return `/api/audit/export?${params}`;
}

const time = (ms: number) => new Date(ms).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });

export function AuditPage() {
  const can = useCan('drill');
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const input = useMemo(() => ({ ...query(filters), limit: PAGE }), [filters]);
  const list = trpc.audit.list.useInfiniteQuery(input, { enabled: can.allowed, getNextPageParam: (last) => last.nextCursor ?? undefined, refetchInterval: 10_000 });
  const facets = trpc.audit.facets.useQuery(undefined, { enabled: can.allowed });
  const entries = list.data?.pages.flatMap((p) => p.entries) ?? [];
  const set = (key: keyof Filters) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [key]: e.target.value }));
  const badRange = draft.from !== '' && draft.to !== '' && toMs(draft.from)! > toMs(draft.to)!;

  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Audit log</h1>
        <p className="mt-1 max-w-3xl text-sm text-slate-600 dark:text-slate-400">
          Who did what, to what, from where: every change through the API (refused ones too), sign-ins, sign-outs, user and token changes.
          Setting flips show each key before and after.
        </p>
      </div>
      <RoleGate
        can={can}
        what="Reading the audit log"
        testId="audit-denied"
        note="It names people and the addresses they came from, so it is kept to drill users and admins."
      >
        <Card title="Filter" titleId="audit-filter-title">
          <form
            className="grid gap-3 sm:grid-cols-2 lg:grid-cols-6"
            onSubmit={(e) => {
              e.preventDefault();
              if (!badRange) setFilters(draft);
            }}
          >
            <label className="text-sm">
              <span className="font-medium">Actor</span>
              <input data-testid="audit-filter-actor" list="audit-actors" value={draft.actor} onChange={set('actor')} className={inputClass} placeholder="any" />
            </label>
            <label className="text-sm">
              <span className="font-medium">Action</span>
              <input data-testid="audit-filter-action" list="audit-actions" value={draft.action} onChange={set('action')} className={`${inputClass} font-mono`} placeholder="cluster. (prefix)" />
            </label>
            <label className="text-sm">
              <span className="font-medium">Result</span>
              <select data-testid="audit-filter-result" value={draft.result} onChange={set('result')} className={inputClass}>
                <option value="">any</option>
                <option value="ok">ok</option>
                <option value="error">error (refused or failed)</option>
              </select>
            </label>
            <label className="text-sm">
              <span className="font-medium">From</span>
              <input type="datetime-local" step={1} value={draft.from} onChange={set('from')} className={inputClass} aria-invalid={badRange || undefined} />
            </label>
            <label className="text-sm">
              <span className="font-medium">To</span>
              <input type="datetime-local" step={1} value={draft.to} onChange={set('to')} className={inputClass} aria-invalid={badRange || undefined} />
            </label>
            <div className="flex items-end gap-2">
              <Button type="submit" variant="primary" data-testid="audit-filter-apply" disabled={badRange}>
                Apply
              </Button>
              <Button onClick={() => { setDraft(EMPTY); setFilters(EMPTY); }}>Clear</Button>
            </div>
            {badRange ? <p role="alert" className="text-xs text-red-700 sm:col-span-2 lg:col-span-6 dark:text-red-300">From must be before To.</p> : null}
            <datalist id="audit-actors">{facets.data?.actors.map((a) => <option key={a} value={a} />)}</datalist>
            <datalist id="audit-actions">{facets.data?.actions.map((a) => <option key={a} value={a} />)}</datalist>
          </form>
        </Card>
        <Card
          title="Entries"
          titleId="audit-entries-title"
          testId="audit-entries"
          actions={
            <span className="flex items-center gap-2 text-sm">
              <span className="text-xs text-slate-500 dark:text-slate-400">Export the filtered rows:</span>
              <a data-testid="audit-export-csv" href={exportHref(filters, 'csv')} download className="rounded-md border border-slate-300 px-2.5 py-1 font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800">CSV</a>
              <a data-testid="audit-export-json" href={exportHref(filters, 'json')} download className="rounded-md border border-slate-300 px-2.5 py-1 font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800">JSON</a>
            </span>
          }
        >
          {list.isPending ? (
            <LoadingRows label="Loading the audit log" rows={4} rowClassName="h-8" />
          ) : list.isError ? (
            <LoadError error={list.error} onRetry={() => void list.refetch()} />
          ) : entries.length === 0 ? (
            <EmptyNote testId="audit-empty" boxed>
              {filters === EMPTY ? 'Nothing recorded yet: changes, sign-ins and refusals will appear here.' : 'No entry matches these filters.'}
            </EmptyNote>
          ) : (
            <AuditTable entries={entries} />
          )}
          {list.hasNextPage ? (
            <div className="mt-3 flex justify-center">
              <Button data-testid="audit-more" busy={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
                Load older entries
              </Button>
            </div>
          ) : null}
        </Card>
      </RoleGate>
    </div>
  );
}

function Json({ label, value }: { label: string; value: unknown }) {
  if (value === null || value === undefined) return null;
  return (
    <div className="min-w-0">
      <p className="text-[11px] font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">{label}</p>
      <pre className="mt-0.5 max-h-48 overflow-auto whitespace-pre-wrap break-all rounded bg-slate-100 p-2 font-mono text-[11px] leading-4 dark:bg-slate-950">{JSON.stringify(value, null, 2)}</pre>
    </div>
  );
}

/** before → after of a settings flip, in one line: flushDiskType ASYNC_FLUSH → SYNC_FLUSH */
function Change({ before, after }: { before: unknown; after: unknown }) {
  if (!after || typeof after !== 'object') return null;
  const b = before && typeof before === 'object' ? (before as Record<string, unknown>) : null;
  const a = after as Record<string, unknown>;
  const keys = Object.keys(a);
  if (keys.length === 0) return <span className="text-slate-500 dark:text-slate-400">no change</span>;
  return (
    <span className="font-mono text-xs">
      {keys.map((k) => (
        <span key={k} className="mr-2 inline-block">
          {b ? (
            <>
              {k} <span className="text-slate-500 dark:text-slate-400">{String(b[k] ?? '–')}</span> → <strong>{String(a[k])}</strong>
            </>
          ) : (
            <>
              {k} <strong>{String(a[k])}</strong>
            </>
          )}
        </span>
      ))}
    </span>
  );
}

function AuditTable({ entries }: { entries: Entry[] }) {
  const [open, setOpen] = useState<number | null>(null);
  return (
    <div className="relative -mx-4 overflow-x-auto">
      <table className="w-full min-w-[56rem] text-left text-sm">
        <thead className="border-b border-slate-200 text-xs uppercase tracking-wide text-slate-500 dark:border-slate-800 dark:text-slate-400">
          <tr>
            <th className="px-4 py-2 font-semibold">Time</th>
            <th className="px-2 py-2 font-semibold">Actor</th>
            <th className="px-2 py-2 font-semibold">Action</th>
            <th className="px-2 py-2 font-semibold">Target</th>
            <th className="px-2 py-2 font-semibold">Result</th>
            <th className="px-2 py-2 font-semibold">Change or error</th>
            <th className="px-2 py-2 font-semibold">From</th>
            <th className="px-4 py-2"><span className="sr-only">Details</span></th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {entries.map((e) => (
            <Fragment key={e.id}>
              <tr data-testid="audit-row" data-action={e.action} data-result={e.result} className="align-top">
                <td className="whitespace-nowrap px-4 py-2 tabular-nums text-slate-600 dark:text-slate-400">{time(e.at)}</td>
                <td className="px-2 py-2">
                  <span className="font-medium">{e.actor}</span>
                  {e.role ? <span className="ml-1 text-xs text-slate-500 dark:text-slate-400">{e.role}</span> : null}
                </td>
                <td className="px-2 py-2 font-mono text-xs">{e.action}</td>
                <td className="px-2 py-2 text-xs">{e.target ?? '–'}</td>
                <td className="px-2 py-2">
                  <span className={`rounded px-1.5 py-0.5 text-[11px] font-semibold ring-1 ${e.result === 'ok' ? 'bg-emerald-50 text-emerald-800 ring-emerald-200 dark:bg-emerald-950/60 dark:text-emerald-200 dark:ring-emerald-900' : 'bg-red-50 text-red-800 ring-red-200 dark:bg-red-950/60 dark:text-red-200 dark:ring-red-900'}`}>
                    {e.result}
                  </span>
                </td>
                <td className="max-w-[28rem] px-2 py-2 text-xs">
                  {e.result === 'error' ? <span className="break-words text-red-800 dark:text-red-300">{e.error}</span> : <Change before={e.before} after={e.after} />}
                </td>
                <td className="whitespace-nowrap px-2 py-2 font-mono text-xs text-slate-500 dark:text-slate-400">{e.remoteAddress.replace(/^::ffff:/, '')}</td>
                <td className="px-4 py-2 text-right">
                  <button type="button" aria-expanded={open === e.id} onClick={() => setOpen(open === e.id ? null : e.id)} className="rounded text-xs font-medium text-slate-600 underline-offset-2 hover:underline focus-visible:outline-2 focus-visible:outline-emerald-500 dark:text-slate-300">
                    {open === e.id ? 'Hide' : 'Details'}
                  </button>
                </td>
              </tr>
              {open === e.id ? (
                <tr>
                  <td colSpan={8} className="bg-slate-50 px-4 py-3 dark:bg-slate-900/60">
                    <div className="grid gap-3 md:grid-cols-3">
                      <Json label="input" value={e.input} />
                      <Json label="before" value={e.before} />
                      <Json label="after" value={e.after} />
                    </div>
                  </td>
                </tr>
              ) : null}
            </Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
}
