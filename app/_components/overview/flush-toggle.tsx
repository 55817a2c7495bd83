'use client';
/**
 * flushDiskType, the first setting that decides whether an acknowledged message survives a power
 * cut. A segmented toggle; the change is pushed to the running broker at once.
 */
import { settingInfo } from '@/server/settings/schema';
import type { LiveState } from '@/server/live/types';
import { errorMessage, trpc } from '../../_lib/trpc';
import { Spinner } from '../ui/button';
import { Card } from '../ui/card';
import { RequestError } from '../ui/query-state';
import { RoleHint } from '../auth/role-hint';
import { useCan } from '../../_lib/session';

type FlushDiskType = LiveState['settings']['flushDiskType'];

const OPTIONS: { value: FlushDiskType; label: string; meaning: string }[] = [
  {
    value: 'SYNC_FLUSH',
    label: 'SYNC_FLUSH',
    meaning: 'A send is acknowledged only after fdatasync covered it: SEND_OK survives a power cut. Slower.',
  },
  {
    value: 'ASYNC_FLUSH',
    label: 'ASYNC_FLUSH',
    meaning: 'A send is acknowledged once it is in the page cache; a flush loop writes it later. Fast, but a power cut loses the unflushed tail.',
  },
];

/**
 * `current` is what the master confirmed it runs; `saved` what starts with it. They differ only
 * while the master is down or starting (shown as such), or when it drifted (shown as drift).
 */
export function FlushToggle({ current, saved, brokerRunning }: { current: FlushDiskType | undefined; saved: FlushDiskType | undefined; brokerRunning: boolean }) {
  const utils = trpc.useUtils();
  const update = trpc.settings.update.useMutation({
    onSettled: () => {
      void utils.settings.get.invalidate();
      void utils.cluster.events.invalidate();
      void utils.cluster.state.invalidate();
    },
  });
  const info = settingInfo.flushDiskType;
  const can = useCan('operator');
  const pendingValue = update.isPending ? update.variables?.flushDiskType : undefined;

  return (
    <Card title="Durability" titleId="flush-title" testId="flush-card">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <p className="text-sm text-slate-600 dark:text-slate-400">
          <code className="font-mono text-slate-900 dark:text-slate-100">flushDiskType</code> is{' '}
          {current ? (
            <strong data-testid="flush-disk-type" className="font-mono text-slate-900 dark:text-slate-100">
              {current}
            </strong>
          ) : (
            <span data-testid="flush-disk-type" className="inline-block h-4 w-24 animate-pulse rounded bg-slate-200 align-middle dark:bg-slate-800" />
          )}
          {!current && saved ? <span className="ml-1 text-xs">(saved: <span className="font-mono">{saved}</span>; the master has not confirmed it yet)</span> : null}
          {current && saved && current !== saved ? (
            <span role="alert" data-testid="flush-drift" className="ml-1 text-xs font-semibold text-red-700 dark:text-red-300">
              drift: the saved setting is {saved}
            </span>
          ) : null}
        </p>
        {pendingValue ? (
          <span role="status" className="inline-flex items-center gap-1.5 text-xs text-slate-600 dark:text-slate-300">
            <Spinner /> applying {pendingValue}…
          </span>
        ) : null}
      </div>

      <div role="group" aria-labelledby="flush-title" className="mt-3 grid grid-cols-2 gap-1 rounded-lg bg-slate-100 p-1 dark:bg-slate-800">
        {OPTIONS.map((option) => {
          const pressed = current === option.value;
          return (
            <button
              key={option.value}
              type="button"
              data-testid={`flush-${option.value}`}
              aria-pressed={pressed}
              disabled={update.isPending || current === undefined || !can.allowed}
              title={can.reason}
              onClick={() => {
                if (pressed) return;
                update.mutate({ flushDiskType: option.value });
              }}
              className={`flex items-center justify-center gap-1.5 rounded-md px-2 py-2 font-mono text-sm font-semibold transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-500 disabled:cursor-not-allowed ${
                pressed
                  ? option.value === 'SYNC_FLUSH'
                    ? 'bg-emerald-600 text-white shadow-sm'
                    : 'bg-amber-500 text-slate-950 shadow-sm'
                  : 'text-slate-600 hover:bg-white disabled:opacity-60 dark:text-slate-300 dark:hover:bg-slate-700'
              }`}
            >
              {pendingValue === option.value ? <Spinner /> : null}
              {option.label}
            </button>
          );
        })}
      </div>

      <RoleHint can={can} what="Flipping flushDiskType" testId="flush-role-hint" />

      <dl className="mt-3 space-y-2 text-sm">
        {OPTIONS.map((option) => (
          <div key={option.value} className={current === option.value ? '' : 'opacity-85'}>
            <dt className="inline font-mono text-xs font-semibold">{option.value}</dt>{' '}
            <dd className="inline text-slate-600 dark:text-slate-400">{option.meaning}</dd>
          </div>
        ))}
      </dl>

      <p className="mt-3 rounded-md bg-sky-50 px-3 py-2 text-xs text-sky-900 dark:bg-sky-950/50 dark:text-sky-100">
        {info.stockRocketMQ === 'restart' ? 'Stock RocketMQ reads this only at startup: the change needs a broker restart. ' : ''}
        {info.live
          ? brokerRunning
            ? 'Zeroloss flips it live on the running broker (UPDATE_BROKER_CONFIG), so you can watch the effect.'
            : 'Zeroloss flips it live; the broker is not running now, so it takes effect when it starts.'
          : 'Zeroloss also applies it at the next start.'}
      </p>

      {update.isError ? (
        <RequestError>
          {errorMessage(update.error)}
        </RequestError>
      ) : null}
    </Card>
  );
}
