'use client';
/**
 * The Drills page: the catalog (one card per drill, with the prediction for the current settings),
 * the drill that runs now (from the live stream, or polled every 500 ms while the stream is down),
 * its verdict once judged, and the history of past runs.
 */
import { useEffect, useRef, useState } from 'react';
import type { DrillRunInput, DrillStatus } from '@/server/drills/types';
import { errorMessage, trpc } from '../../_lib/trpc';
import { useLive } from '../../_lib/use-live';
import { fieldIssues } from '../ui/field-errors';
import { LoadError } from '../ui/query-state';
import { Skeleton } from '../ui/skeleton';
import { Notice } from './common';
import { DrillCard } from './drill-card';
import { RUN_FIELDS, type CurrentSettings } from './drill-run-options';
import { HistoryTable } from './history-table';
import { RunPanel } from './run-panel';
import { SimulatePanel } from './simulate-panel';
import type { SimulateInput } from '@/server/sim/sim-service';
import { useCan } from '../../_lib/session';

const TRACK_KEY = 'zeroloss.drills.tracked';

export function DrillsPage() {
  const live = useLive();
  const utils = trpc.useUtils();
  const connected = live.status === 'connected' && live.ready;

  const catalog = trpc.drills.catalog.useQuery(undefined, { refetchInterval: 4000 });
  const settings = trpc.settings.get.useQuery(undefined, { refetchInterval: 5000 });

  // ---- the run this page follows ----
  const [tracked, setTracked] = useState<string | null>(null);
  const [starting, setStarting] = useState<string | null>(null);
  const [lastStatus, setLastStatus] = useState<DrillStatus | null>(null);
  useEffect(() => {
    const saved = window.sessionStorage.getItem(TRACK_KEY);
    if (saved) setTracked(saved);
  }, []);
  const track = (runId: string | null) => {
    setTracked(runId);
    setLastStatus(null);
    if (runId) window.sessionStorage.setItem(TRACK_KEY, runId);
    else window.sessionStorage.removeItem(TRACK_KEY);
  };

  // the running drill: the live stream carries it; poll drills.status while the stream is down or lags a fresh run
  const liveDrill = connected ? (live.state?.drill ?? null) : null;
  const polled = trpc.drills.status.useQuery(undefined, { enabled: !connected || starting !== null, refetchInterval: 500 });
  const running: DrillStatus | null = connected && !starting ? liveDrill : (polled.data ?? liveDrill ?? null);

  // follow a run started elsewhere (another tab, the CLI)
  useEffect(() => {
    if (running && running.runId !== tracked && !starting) track(running.runId);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [running?.runId]);
  useEffect(() => {
    if (running && running.runId === tracked) setLastStatus(running);
  }, [running, tracked]);

  const trackedRunning = running !== null && running.runId === tracked;
  const record = trpc.drills.get.useQuery(
    { runId: tracked ?? 'none00', anomalyLimit: 0 },
    {
      enabled: tracked !== null && !trackedRunning && starting === null,
      refetchInterval: (q) => (q.state.data?.status === 'running' ? 500 : false),
      retry: (n, err) => err.data?.code !== 'NOT_FOUND' && n < 2,
    },
  );
  // a stale id from sessionStorage whose record is gone: forget it
  useEffect(() => {
    if (record.error?.data?.code === 'NOT_FOUND' || record.error?.data?.code === 'BAD_REQUEST') track(null);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [record.error]);

  // when the run ends: refresh the catalog (runnable again) and the history
  const wasRunning = useRef(false);
  useEffect(() => {
    if (trackedRunning) wasRunning.current = true;
    else if (wasRunning.current) {
      wasRunning.current = false;
      void utils.drills.get.invalidate({ runId: tracked ?? undefined });
      void utils.drills.catalog.invalidate();
      void utils.drills.history.invalidate();
    }
  }, [trackedRunning, tracked, utils]);
  useEffect(() => {
    if (record.data && record.data.status !== 'running') void utils.drills.history.invalidate();
  }, [record.data?.status, record.data, utils]);

  // a settings flip changes every prediction: refetch the catalog at once
  const flush = live.state?.settings.flushDiskType;
  const role = live.state?.settings.brokerRole;
  const slaveUp = live.state?.replication?.slave?.state;
  const brokerUp = live.state?.broker.state;
  useEffect(() => {
    void utils.drills.catalog.invalidate();
    void utils.settings.get.invalidate();
  }, [flush, role, slaveUp, brokerUp, utils]);

  // ---- actions ----
  const runMutation = trpc.drills.run.useMutation();
  const [runError, setRunError] = useState<{ drillId: string; message: string; invalid: Set<string> } | null>(null);
  const run = (input: DrillRunInput) => {
    setRunError(null);
    setStarting(input.drillId);
    track(null);
    runMutation.mutate(input, {
      onSuccess: (started) => {
        track(started.runId);
        void utils.drills.catalog.invalidate();
        void utils.drills.history.invalidate();
        // let the status poll catch the run before the live stream takes over
        void utils.drills.status.invalidate().finally(() => setStarting(null));
        window.scrollTo({ top: 0, behavior: 'smooth' });
      },
      onError: (error) => {
        setStarting(null);
        setRunError({ drillId: input.drillId, message: errorMessage(error), invalid: new Set(fieldIssues(error, RUN_FIELDS).keys()) });
      },
    });
  };
  const cancelMutation = trpc.drills.cancel.useMutation({ onSettled: () => void utils.drills.status.invalidate() });

  // ---- the simulator ----
  const canDrill = useCan('drill').allowed;
  const simulation = trpc.sim.current.useQuery(undefined, { refetchInterval: (q) => (q.state.data?.state === 'running' ? 500 : 5000) });
  const simulateMutation = trpc.sim.start.useMutation();
  const [simError, setSimError] = useState<{ drillId: string; message: string } | null>(null);
  const simulate = (input: SimulateInput) => {
    setSimError(null);
    simulateMutation.mutate(input, {
      onSuccess: () => {
        void utils.sim.current.invalidate();
        window.scrollTo({ top: 0, behavior: 'smooth' });
      },
      onError: (error) => setSimError({ drillId: input.drillId, message: errorMessage(error) }),
    });
  };
  const simulationRunning = simulation.data?.state === 'running';

  // ---- the settings the catalog's predictions are for ----
  const state = live.state;
  const brokerSettings = (settings.data?.settings as unknown as Record<string, unknown> | undefined) ?? (state ? { ...state.settings } : null);
  const current: CurrentSettings = {
    broker: brokerSettings,
    traffic: {
      sendMode: state?.traffic.config?.sendMode ?? 'sync',
      ackMode: state?.consumers.input?.ackMode ?? 'after-processing',
      idempotent: state?.consumers.input?.idempotent ?? false,
    },
  };
  const brokerWords = state?.broker.address ?? (state?.broker.port ? `port ${state.broker.port}` : 'the master broker');
  const targetOf = (drillId: string): string => {
    if (drillId.startsWith('power-loss')) {
      return `This cuts the power of the master broker at ${brokerWords}: every commit-log and consume-queue file in ${
        state?.broker.storePath ?? 'its store'
      } is truncated to its last fdatasync'd length, then the process is SIGKILLed. Under ASYNC_FLUSH acknowledged messages are lost for good.`;
    }
    if (drillId.startsWith('master-disk-loss')) {
      const slave = state?.replication?.slave;
      return `This SIGKILLs the master broker at ${brokerWords} and deletes its store directory ${state?.broker.storePath ?? ''}, then promotes the slave${
        slave?.address ? ` at ${slave.address}` : ''
      } to master. The old master's data is gone; the group runs on the promoted slave until the control plane restarts.`;
    }
    return '';
  };

  const otherRunning = running ? running.title : starting ? 'a drill' : simulationRunning ? 'a simulation' : null;
  const simulateBlocked = running ? `${running.title} is running: simulate once it is done` : simulationRunning ? 'a simulation is running: one at a time' : null;
  const showPanel = starting !== null || tracked !== null;

  return (
    <div className="grid gap-4">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Drills</h1>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Each drill starts traffic, injects a real fault, recovers the cluster, drains the consumers and counts every message: what the producer was told,
          what was consumed, what was lost. The prediction says what the current settings allow; the verdict says whether they kept their word.
        </p>
      </div>

      {!connected ? (
        <Notice tone="warn" role="status">
          The live stream is reconnecting; a running drill’s progress is polled every 500 ms meanwhile.
        </Notice>
      ) : null}

      {showPanel ? (
        <RunPanel
          runId={tracked}
          status={trackedRunning ? running : null}
          lastStatus={lastStatus}
          record={trackedRunning ? null : (record.data ?? null)}
          recordError={record.isError && record.error.data?.code !== 'NOT_FOUND' ? errorMessage(record.error) : null}
          starting={starting !== null}
          onCancel={() => cancelMutation.mutate(tracked ? { runId: tracked } : {})}
          cancelling={cancelMutation.isPending}
          cancelError={cancelMutation.isError ? errorMessage(cancelMutation.error) : null}
          onDismiss={() => track(null)}
        />
      ) : null}

      {simulation.data ? <SimulatePanel canCancel={canDrill} /> : null}

      <section aria-labelledby="drill-catalog-title" className="grid gap-3">
        <div className="flex flex-wrap items-baseline justify-between gap-2">
          <h2 id="drill-catalog-title" className="text-sm font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-300">
            Catalog
          </h2>
          {state ? (
            <p className="text-xs text-slate-600 dark:text-slate-400">
              Saved settings: <span className="font-mono">{state.settings.flushDiskType}</span> · <span className="font-mono">{state.settings.brokerRole}</span> ·{' '}
              {state.nodes.map((n) => (
                <span key={n.node} data-testid={`drills-node-${n.node.replace('/', '-')}`} className={n.state === 'drift' ? 'font-semibold text-red-700 dark:text-red-300' : undefined}>
                  {n.node} {n.state === 'confirmed' ? `runs them (${n.role})` : n.state === 'drift' ? `drifts: ${n.drift.map((d) => `${d.key}=${String(d.running)}`).join(', ')}` : n.state}
                  {' · '}
                </span>
              ))}
              master {state.broker.state} · slave {state.replication?.slave ? state.replication.slave.state : 'none'}
            </p>
          ) : null}
        </div>
        {catalog.isPending ? (
          <div className="grid gap-4 md:grid-cols-2 2xl:grid-cols-3" aria-busy="true" aria-label="Loading the drill catalog">
            {Array.from({ length: 6 }, (_, i) => (
              <Skeleton key={i} className="h-80" />
            ))}
          </div>
        ) : catalog.isError ? (
          <LoadError what="Could not load the drill catalog" error={catalog.error} onRetry={() => void catalog.refetch()} />
        ) : catalog.data.length === 0 ? (
          <p className="text-sm text-slate-600 dark:text-slate-400">The server offers no drills.</p>
        ) : (
          <div className="grid gap-4 md:grid-cols-2 2xl:grid-cols-3">
            {catalog.data.map((spec) => (
              <DrillCard
                key={spec.id}
                spec={spec}
                current={current}
                otherRunning={otherRunning}
                starting={starting === spec.id}
                serverError={runError?.drillId === spec.id ? runError.message : null}
                serverInvalid={runError?.drillId === spec.id ? runError.invalid : new Set()}
                target={targetOf(spec.id)}
                targetName={state?.broker.name ?? 'broker-a master'}
                onRun={run}
                simulateBlocked={simulateBlocked}
                simulating={simulateMutation.isPending && simulateMutation.variables?.drillId === spec.id}
                simulateError={simError?.drillId === spec.id ? simError.message : null}
                onSimulate={simulate}
              />
            ))}
          </div>
        )}
      </section>

      <HistoryTable catalog={catalog.data} />
    </div>
  );
}
