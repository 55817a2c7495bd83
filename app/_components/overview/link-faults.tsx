'use client';
/**
 * Faults on the HA link between master and slave, through the fault proxy, per direction: a delay,
 * a blackhole (every byte dropped, the connection kept: a partition), or none. The link mutation
 * belongs to the replication card, which shows its refusal with the card's other actions.
 */
import { useState } from 'react';
import type { LiveState } from '@/server/live/types';
import type { Can } from '../../_lib/session';
import { trpc } from '../../_lib/trpc';
import { Button } from '../ui/button';
import { fieldIssues } from '../ui/field-errors';
import { toNumber } from '../ui/form';

type Direction = 'upstream' | 'downstream';
type LinkDirection = Direction | 'both';

const DIRECTION_LABEL: Record<LinkDirection, string> = {
  both: 'both ways',
  downstream: 'master → slave',
  upstream: 'slave → master',
};

function faultText(f: { latencyMs: number; blackhole: boolean } | undefined): string {
  if (!f) return 'none';
  const parts = [f.blackhole ? 'blackholed' : '', f.latencyMs > 0 ? `+${f.latencyMs} ms` : ''].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

export function LinkFaults({
  replication,
  link,
  resetAll,
  canDrill,
}: {
  replication: NonNullable<LiveState['replication']>;
  link: ReturnType<typeof trpc.cluster.setLinkFault.useMutation>;
  /** clears every action's error on the card before this one runs */
  resetAll(): void;
  canDrill: Can;
}) {
  const [direction, setDirection] = useState<LinkDirection>('both');
  const [delay, setDelay] = useState('200');
  const faults = replication.link?.faults;
  const dirs: Direction[] = direction === 'both' ? ['upstream', 'downstream'] : [direction];
  const blackholed = faults ? dirs.every((d) => faults[d]?.blackhole) : false;
  const anyFault = faults ? (['upstream', 'downstream'] as const).some((d) => faults[d]?.blackhole || (faults[d]?.latencyMs ?? 0) > 0) : false;
  const delayNumber = toNumber(delay);

  return (
    <fieldset className="mt-4 border-t border-slate-200 pt-3 dark:border-slate-800" aria-describedby="link-fault-now">
      <legend className="sr-only">HA link faults</legend>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">HA link faults</p>
        {link.isPending ? <span className="text-xs text-slate-500 dark:text-slate-400">applying…</span> : null}
      </div>
      <p id="link-fault-now" className="mt-1 text-xs text-slate-600 dark:text-slate-400" data-testid="link-faults">
        master → slave: <span className="font-medium">{faultText(faults?.downstream)}</span> · slave → master:{' '}
        <span className="font-medium">{faultText(faults?.upstream)}</span>
        {replication.link ? ` · ${replication.link.connections} connection${replication.link.connections === 1 ? '' : 's'}` : ''}
      </p>
      <div role="group" aria-label="Direction" className="mt-2 grid grid-cols-3 gap-1 rounded-lg bg-slate-100 p-1 dark:bg-slate-800">
        {(['both', 'downstream', 'upstream'] as const).map((d) => (
          <button
            key={d}
            type="button"
            data-testid={`link-direction-${d}`}
            aria-pressed={direction === d}
            onClick={() => setDirection(d)}
            className={`rounded-md px-1.5 py-1 text-xs font-medium focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-emerald-500 ${
              direction === d
                ? 'bg-white text-slate-900 shadow-sm dark:bg-slate-950 dark:text-white'
                : 'text-slate-600 hover:bg-white/70 dark:text-slate-300 dark:hover:bg-slate-700'
            }`}
          >
            {DIRECTION_LABEL[d]}
          </button>
        ))}
      </div>
      <div className="mt-2 flex flex-wrap items-end gap-2">
        <label className="text-xs">
          <span className="font-medium">Delay</span> <span className="text-slate-500 dark:text-slate-400">(ms)</span>
          <input
            data-testid="link-delay"
            type="number"
            inputMode="numeric"
            min={0}
            max={60000}
            step={50}
            value={delay}
            onChange={(e) => setDelay(e.target.value)}
            aria-invalid={fieldIssues(link.error, ['latencyMs']).has('latencyMs') || undefined}
            className="mt-0.5 block w-24 rounded-md border border-slate-300 bg-white px-2 py-1 text-sm tabular-nums shadow-sm focus:border-emerald-500 focus:outline-none focus:ring-2 focus:ring-emerald-500/40 aria-[invalid=true]:border-red-500 dark:border-slate-700 dark:bg-slate-950"
          />
        </label>
        <Button
          data-testid="link-delay-apply"
          disabled={link.isPending || !canDrill.allowed}
          title={canDrill.reason}
          onClick={() => {
            resetAll();
            link.mutate({ direction, latencyMs: delayNumber });
          }}
        >
          Set delay
        </Button>
        <Button
          variant={blackholed ? 'danger' : 'secondary'}
          data-testid="link-blackhole"
          aria-pressed={blackholed}
          disabled={link.isPending || !canDrill.allowed}
          onClick={() => {
            resetAll();
            link.mutate({ direction, blackhole: !blackholed });
          }}
          title={canDrill.allowed ? 'Drop every byte on the link (the TCP connection stays open): a partition' : canDrill.reason}
        >
          {blackholed ? 'Blackholed' : 'Blackhole'}
        </Button>
        <Button
          variant="ghost"
          data-testid="link-clear"
          disabled={link.isPending || !anyFault || !canDrill.allowed}
          title={canDrill.reason}
          onClick={() => {
            resetAll();
            link.mutate({ direction: 'both', latencyMs: 0, blackhole: false });
          }}
        >
          Clear
        </Button>
      </div>
    </fieldset>
  );
}
