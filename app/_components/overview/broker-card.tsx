'use client';
/**
 * The broker process: its state, where it listens and stores, why it is not running, what the last
 * recovery and power cut did; and the buttons that start, stop and crash it.
 */
import { useState } from 'react';
import type { LiveState } from '@/server/live/types';
import { errorMessage, trpc } from '../../_lib/trpc';
import { useClusterRefresh } from '../../_lib/use-cluster-state';
import { ago, bytes, clock, grouped } from '../../_lib/format';
import { Button } from '../ui/button';
import { Card } from '../ui/card';
import { RequestError } from '../ui/query-state';
import { StateBadge } from '../ui/state-badge';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { RoleHint } from '../auth/role-hint';
import { useCan } from '../../_lib/session';

type Fault = 'kill' | 'powerLoss';

export function BrokerCard({ state, unflushedBytes }: { state: LiveState; unflushedBytes: number | null }) {
  const broker = state.broker;
  const utils = trpc.useUtils();
  const [confirm, setConfirm] = useState<Fault | null>(null);
  const [showOutput, setShowOutput] = useState(false);
  const canOperate = useCan('operator');
  const canDrill = useCan('drill');
  const refresh = useClusterRefresh();
  const afterChange = () => {
    refresh();
    void utils.cluster.brokerOutput.invalidate();
  };
  const start = trpc.cluster.startBroker.useMutation({ onSettled: afterChange });
  const stop = trpc.cluster.stopBroker.useMutation({ onSettled: afterChange });
  const kill = trpc.cluster.killBroker.useMutation({ onSettled: afterChange });
  const powerLoss = trpc.cluster.powerLoss.useMutation({ onSettled: afterChange });
  const mutations = [start, stop, kill, powerLoss];
  const failed = mutations.find((m) => m.isError);

  const down = broker.state === 'stopped' || broker.state === 'crashed';
  const alive = broker.state === 'running' || broker.state === 'starting';
  const outputVisible = showOutput || broker.state === 'crashed';
  const output = trpc.cluster.brokerOutput.useQuery(undefined, {
    enabled: outputVisible,
    refetchInterval: outputVisible ? 2000 : false,
  });
  const target = `${broker.name}${broker.pid ? ` (pid ${broker.pid}${broker.address ? `, ${broker.address}` : ''})` : ''}`;

  const runFault = (typed: string) => {
    const fault = confirm;
    setConfirm(null);
    mutations.forEach((m) => m.reset());
    if (fault === 'kill') kill.mutate();
    else if (fault === 'powerLoss') powerLoss.mutate({ confirm: typed });
  };

  return (
    <Card
      title="Broker"
      titleId="broker-title"
      testId="broker-card"
      actions={<StateBadge state={broker.state} srPrefix="state: " testId="broker-state" />}
    >
      <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">
        <span className="font-medium text-slate-900 dark:text-slate-100">{broker.name}</span> · {broker.state} since{' '}
        {clock(broker.since)} ({ago(broker.since, state.t)}){broker.restarts > 0 ? ` · ${broker.restarts} restart${broker.restarts === 1 ? '' : 's'}` : ''}
      </p>
      {state.topology.controllerMode ? <ControllerRole state={state} name={broker.name} /> : null}

      <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
        <dt className="text-slate-500 dark:text-slate-400">pid</dt>
        <dd className="font-mono tabular-nums">{broker.pid ?? '–'}</dd>
        <dt className="text-slate-500 dark:text-slate-400">address</dt>
        <dd className="font-mono">{broker.address ?? (broker.port ? `127.0.0.1:${broker.port}` : '–')}</dd>
        <dt className="text-slate-500 dark:text-slate-400">store</dt>
        <dd className="break-all font-mono text-xs leading-5" title={broker.storePath}>
          {broker.storePath}
        </dd>
        <dt className="text-slate-500 dark:text-slate-400">recovery</dt>
        <dd>
          {broker.lastRecovery ? (
            broker.lastRecovery.abnormal ? (
              <span className="text-amber-700 dark:text-amber-300">
                after an unclean stop, {bytes(broker.lastRecovery.truncatedBytes)} of torn tail truncated
              </span>
            ) : (
              <span>clean start{broker.lastRecovery.truncatedBytes > 0 ? `, ${bytes(broker.lastRecovery.truncatedBytes)} truncated` : ''}</span>
            )
          ) : (
            <span className="text-slate-500 dark:text-slate-400">not started yet</span>
          )}
        </dd>
        {broker.lastPowerCut ? (
          <>
            <dt className="text-slate-500 dark:text-slate-400">power cut</dt>
            <dd>
              at {clock(broker.lastPowerCut.atMs)}:{' '}
              <span className={broker.lastPowerCut.lostBytes > 0 ? 'font-medium text-red-700 dark:text-red-300' : ''}>
                {bytes(broker.lastPowerCut.lostBytes)} lost
              </span>{' '}
              <span className="text-slate-500 dark:text-slate-400">
                (flushed {grouped(broker.lastPowerCut.flushedOffset)} of {grouped(broker.lastPowerCut.maxOffset)})
              </span>
            </dd>
          </>
        ) : null}
      </dl>

      {!alive && broker.exitReason ? (
        <div className="mt-3 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm dark:border-red-900 dark:bg-red-950/50">
          <p className="text-xs font-semibold uppercase tracking-wide text-red-700 dark:text-red-300">
            {broker.state === 'crashed' ? 'Crashed' : 'Exit'}
          </p>
          <p data-testid="broker-exit-reason" className="mt-0.5 break-words font-mono text-xs text-red-900 dark:text-red-100">
            {broker.exitReason}
          </p>
        </div>
      ) : null}

      <div className="mt-4 flex flex-wrap gap-2">
        <Button
          variant="primary"
          data-testid="broker-restart"
          disabled={!down || !canOperate.allowed}
          title={canOperate.reason}
          busy={start.isPending}
          onClick={() => {
            mutations.forEach((m) => m.reset());
            start.mutate();
          }}
        >
          {broker.state === 'crashed' ? 'Restart' : 'Start'}
        </Button>
        <Button
          data-testid="broker-stop"
          disabled={!alive || !canOperate.allowed}
          title={canOperate.reason}
          busy={stop.isPending}
          onClick={() => {
            mutations.forEach((m) => m.reset());
            stop.mutate();
          }}
        >
          Stop
        </Button>
        <Button variant="danger" data-testid="broker-kill" disabled={!alive || !canDrill.allowed} title={canDrill.reason} busy={kill.isPending} onClick={() => setConfirm('kill')}>
          Crash (SIGKILL)
        </Button>
        <Button
          variant="danger"
          data-testid="broker-power-loss"
          disabled={broker.state !== 'running' || !canDrill.allowed}
          title={canDrill.reason}
          busy={powerLoss.isPending}
          onClick={() => setConfirm('powerLoss')}
        >
          Power loss
        </Button>
      </div>
      {canOperate.allowed ? null : <RoleHint can={canOperate} what="Start and stop" testId="broker-role-hint-operator" />}
      <RoleHint can={canDrill} what="Crash and power loss" testId="broker-role-hint" />
      <ul className="mt-2 space-y-0.5 text-xs text-slate-500 dark:text-slate-400">
        <li>
          <span className="font-medium text-slate-700 dark:text-slate-300">SIGKILL</span>: the process dies; the OS keeps its page cache, so every write survives.
        </li>
        <li>
          <span className="font-medium text-slate-700 dark:text-slate-300">Power loss</span>: the machine dies; only what fdatasync covered survives.
        </li>
      </ul>

      {failed ? (
        <RequestError>
          {errorMessage(failed.error)}
        </RequestError>
      ) : null}

      <div className="mt-4 border-t border-slate-200 pt-3 dark:border-slate-800">
        <button
          type="button"
          aria-expanded={outputVisible}
          aria-controls="broker-output"
          disabled={broker.state === 'crashed'}
          onClick={() => setShowOutput((v) => !v)}
          className="rounded text-xs font-medium text-slate-600 underline-offset-2 hover:underline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-500 disabled:no-underline dark:text-slate-300"
        >
          {outputVisible ? 'Broker output' : 'Show broker output'}
        </button>
        {outputVisible ? (
          <div id="broker-output" className="mt-2">
            {output.isPending ? (
              <div className="h-24 animate-pulse rounded-md bg-slate-100 dark:bg-slate-800" aria-label="Loading broker output" />
            ) : output.isError ? (
              <p className="text-xs text-red-700 dark:text-red-300">{errorMessage(output.error)}</p>
            ) : output.data.length === 0 ? (
              <p className="text-xs text-slate-500 dark:text-slate-400">The broker wrote nothing yet.</p>
            ) : (
              <pre
                tabIndex={0}
                aria-label="Last lines the broker process wrote"
                className="max-h-56 overflow-auto whitespace-pre-wrap break-all rounded-md bg-slate-950 p-2 font-mono text-[11px] leading-4 text-slate-200"
              >
                {output.data.map((line, i) => (
                  <span key={i} className={line.startsWith('!') ? 'text-red-300' : undefined}>
                    {line}
                    {'\n'}
                  </span>
                ))}
              </pre>
            )}
          </div>
        ) : null}
      </div>

      <ConfirmDialog
        open={confirm === 'kill'}
        title={`Crash ${broker.name}?`}
        confirmLabel="Send SIGKILL"
        onConfirm={runFault}
        onCancel={() => setConfirm(null)}
      >
        <p>
          Sends <strong>SIGKILL</strong> to <strong>{target}</strong>. The process dies at once, with no shutdown and no flush.
        </p>
        <p className="mt-2">
          What survives: everything it wrote, flushed or not. The OS keeps the page cache, so even ASYNC_FLUSH loses nothing; sends in
          flight get no answer.
        </p>
      </ConfirmDialog>
      <ConfirmDialog
        open={confirm === 'powerLoss'}
        title={`Cut the power of ${broker.name}?`}
        confirmLabel="Cut the power"
        confirmText={broker.name}
        onConfirm={runFault}
        onCancel={() => setConfirm(null)}
      >
        <p>
          Simulates a power cut on <strong>{target}</strong>: its files are cut back to what fdatasync covered, then it is killed.
        </p>
        <p className="mt-2">
          What survives: only flushed bytes. Right now {unflushedBytes === null ? 'an unknown amount' : bytes(unflushedBytes)} is
          written but not flushed, and would be lost.
        </p>
      </ConfirmDialog>
    </Card>
  );
}

/**
 * Controller mode: this card acts on broker-a/0 whatever its role, and the controller moves the roles,
 * so the card says which role broker-a/0 has now and which replica is the group's master.
 */
function ControllerRole({ state, name }: { state: LiveState; name: string }) {
  const group = state.topology.groups[0];
  const replica = group?.replicas.find((r) => r.name === name);
  if (!group || !replica) return null;
  const master = group.master;
  return (
    <p className="-mt-2 mb-3 text-xs text-slate-600 dark:text-slate-400" data-testid="broker-controller-role">
      Controller mode: {name} is {replica.state !== 'running' ? `${replica.state} (its last role ${replica.role})` : replica.controller?.role === 'FENCED' ? 'fenced (no master named yet)' : replica.role}
      {master && master !== name ? <> · the controller made {master} the master of {group.brokerName}; this card acts on {name}</> : null}
      {!master ? <> · {group.brokerName} has no master now</> : null}
    </p>
  );
}
