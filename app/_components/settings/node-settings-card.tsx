'use client';
/**
 * What each broker node really runs, as it confirmed it (its start report, its own change reports,
 * GET_BROKER_CONFIG read back after every change), beside the saved settings: a node whose values
 * differ is in drift, shown key by key, with a button that sets it back. The dashboard never shows
 * what it meant to send as if it were running.
 */
import type { LiveState } from '@/server/live/types';
import { errorMessage, trpc } from '../../_lib/trpc';
import { ago } from '../../_lib/format';
import { useLive } from '../../_lib/use-live';
import { useCan } from '../../_lib/session';
import { Button } from '../ui/button';
import { Card } from '../ui/card';
import { RoleHint } from '../auth/role-hint';

type NodeView = LiveState['nodes'][number];

/** The keys that decide whether a message survives: shown for every node even when nothing drifts. */
const GUARANTEE_KEYS = ['brokerRole', 'flushDiskType', 'syncFlushTimeout', 'slaveTimeout', 'flushIntervalCommitLog'] as const;

const STATE_TEXT: Record<NodeView['state'], { label: string; className: string }> = {
  confirmed: { label: 'runs the saved settings', className: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200' },
  drift: { label: 'drift', className: 'bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-200' },
  starting: { label: 'starting: not confirmed yet', className: 'bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-200' },
  down: { label: 'not running', className: 'bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-300' },
};

export function NodeSettingsCard() {
  const live = useLive();
  const utils = trpc.useUtils();
  const can = useCan('operator');
  const reconcile = trpc.settings.reconcile.useMutation({
    onSettled: () => {
      void utils.settings.get.invalidate();
      void utils.cluster.state.invalidate();
    },
  });
  const nodes = live.state?.nodes;
  const drifting = nodes?.filter((n) => n.state === 'drift') ?? [];

  return (
    <Card
      title="What each node runs"
      titleId="node-settings-title"
      testId="node-settings"
      actions={
        drifting.length > 0 ? (
          <Button variant="primary" data-testid="node-settings-reconcile" disabled={!can.allowed} title={can.reason} busy={reconcile.isPending} onClick={() => reconcile.mutate()}>
            Set {drifting.map((n) => n.node).join(', ')} back to the saved settings
          </Button>
        ) : null
      }
    >
      <p className="-mt-1 text-xs text-slate-500 dark:text-slate-400">
        Each node’s own answer (GET_BROKER_CONFIG after every change, and its reports on start and on promotion), not what the dashboard sent. Drills verify
        these on every node before traffic and before judging.
      </p>
      {!nodes ? (
        <p className="mt-2 text-sm text-slate-500 dark:text-slate-400" aria-busy="true">
          Waiting for the live stream …
        </p>
      ) : (
        <ul className="mt-2 grid gap-2 md:grid-cols-2">
          {nodes.map((node) => (
            <NodeRow key={node.node} node={node} />
          ))}
        </ul>
      )}
      {drifting.length > 0 ? (
        <p role="alert" data-testid="node-settings-drift" className="mt-3 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950/60 dark:text-red-200">
          {drifting.map((n) => `${n.node} runs ${n.drift.map((d) => `${d.key}=${String(d.running)} (saved: ${String(d.desired)})`).join(', ')}`).join('; ')}. No drill judges
          while a node drifts.
        </p>
      ) : null}
      {reconcile.isError ? (
        <p role="alert" className="mt-2 text-sm text-red-700 dark:text-red-300">
          {errorMessage(reconcile.error)}
        </p>
      ) : null}
      {drifting.length > 0 ? <RoleHint can={can} what="Setting nodes back" testId="node-settings-role-hint" /> : null}
    </Card>
  );
}

function NodeRow({ node }: { node: NodeView }) {
  const badge = STATE_TEXT[node.state];
  const drifted = new Set(node.drift.map((d) => d.key));
  const keys = [...new Set([...GUARANTEE_KEYS, ...drifted])];
  return (
    <li className="rounded-lg border border-slate-200 p-3 dark:border-slate-800" data-testid={`node-settings-${node.node.replace('/', '-')}`}>
      <div className="flex flex-wrap items-center gap-2">
        <span className="font-mono text-sm font-semibold">{node.node}</span>
        {node.role ? <span className="font-mono text-xs text-slate-600 dark:text-slate-400">{node.role}</span> : null}
        <span className={`rounded-full px-2 py-0.5 text-xs font-medium ${badge.className}`} data-testid="node-settings-state">
          {badge.label}
        </span>
        {node.confirmedAtMs ? <span className="ml-auto text-xs text-slate-500 dark:text-slate-400">confirmed {ago(node.confirmedAtMs)}</span> : null}
      </div>
      {node.running ? (
        <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-3 gap-y-0.5 text-xs">
          {keys.map((key) => (
            <div key={key} className="contents">
              <dt className="font-mono text-slate-600 dark:text-slate-400">{key}</dt>
              <dd className={`font-mono ${drifted.has(key) ? 'font-semibold text-red-700 dark:text-red-300' : ''}`}>
                {String(node.running![key])}
                {drifted.has(key) ? ` (saved: ${String(node.drift.find((d) => d.key === key)!.desired)})` : ''}
              </dd>
            </div>
          ))}
        </dl>
      ) : null}
    </li>
  );
}
