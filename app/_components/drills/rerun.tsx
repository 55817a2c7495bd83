'use client';
/**
 * On the replay page: "Re-run with other settings" (the same drill, seed and timing under another
 * flushDiskType, brokerRole, send mode, consumer ack or idempotence), the links between a run and its
 * re-runs, and the two ledgers and verdicts side by side.
 */
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useId, useState, type FormEvent } from 'react';
import type { AckMode } from '@/broker/client/ack-mode';
import type { SendMode } from '@/broker/client/send-mode';
import { errorMessage, trpc } from '../../_lib/trpc';
import { useCan } from '../../_lib/session';
import { Button } from '../ui/button';
import { Card } from '../ui/card';
import { Notice, RunOutcomeBadge, type DrillRunDetail } from './common';
import { CHOICES, Comparison, knobOf, type Knob } from './rerun-comparison';

export function RerunSection({ run }: { run: DrillRunDetail }) {
  const original = trpc.drills.get.useQuery({ runId: run.input.rerunOf ?? 'none00', anomalyLimit: 0 }, { enabled: Boolean(run.input.rerunOf), retry: false });
  const [pickedRerun, setPickedRerun] = useState<string | null>(null);
  const rerunId = pickedRerun ?? run.reruns[0]?.runId ?? null;
  const rerun = trpc.drills.get.useQuery(
    { runId: rerunId ?? 'none00', anomalyLimit: 0 },
    { enabled: !run.input.rerunOf && rerunId !== null, retry: false, refetchInterval: (q) => (q.state.data?.status === 'running' ? 1000 : false) },
  );
  // A re-run compares with its original; an original with the re-run picked (the newest by default).
  const pair: [DrillRunDetail, DrillRunDetail] | null = run.input.rerunOf
    ? original.data ? [original.data, run] : null
    : rerun.data ? [run, rerun.data] : null;

  return (
    <Card title="Re-run and compare" titleId="replay-rerun-title" testId="replay-rerun">
      <div className="grid gap-4">
        <Links run={run} pickedRerun={rerunId} onPick={setPickedRerun} />
        {run.input.rerunOf && original.isError ? (
          <Notice tone="error">Could not load the original run {run.input.rerunOf}: {errorMessage(original.error)}</Notice>
        ) : null}
        {pair ? <Comparison left={pair[0]} right={pair[1]} /> : null}
        <RerunForm run={run} />
      </div>
    </Card>
  );
}

function Links({ run, pickedRerun, onPick }: { run: DrillRunDetail; pickedRerun: string | null; onPick(id: string): void }) {
  if (!run.input.rerunOf && run.reruns.length === 0) {
    return <p className="text-sm text-slate-600 dark:text-slate-400">No re-run of this run yet. Seed {run.input.seed ?? 'not recorded'}.</p>;
  }
  return (
    <div className="grid gap-1 text-sm" data-testid="rerun-links">
      <p>
        Seed <span className="font-mono">{run.input.seed ?? '-'}</span>
        {run.input.rerunOf ? (
          <>
            {' '}· a re-run of{' '}
            <Link className="font-mono underline" href={`/drills/${run.input.rerunOf}`}>
              {run.input.rerunOf}
            </Link>
          </>
        ) : null}
      </p>
      {run.reruns.length > 0 ? (
        <ul className="flex flex-wrap gap-2" aria-label="Re-runs of this run">
          {run.reruns.map((r) => (
            <li key={r.runId} className={`flex items-center gap-1.5 rounded-md border px-2 py-1 ${r.runId === pickedRerun ? 'border-sky-400 dark:border-sky-600' : 'border-slate-200 dark:border-slate-800'}`}>
              <Link className="font-mono text-xs underline" href={`/drills/${r.runId}`}>
                {r.runId}
              </Link>
              <RunOutcomeBadge run={r} />
              {r.runId !== pickedRerun ? (
                <button type="button" className="text-xs underline" onClick={() => onPick(r.runId)}>
                  compare
                </button>
              ) : (
                <span className="text-xs text-slate-500 dark:text-slate-400">compared</span>
              )}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function RerunForm({ run }: { run: DrillRunDetail }) {
  const uid = useId();
  const router = useRouter();
  const can = useCan('drill');
  const utils = trpc.useUtils();
  const [values, setValues] = useState<Record<Knob, string>>(() => ({
    flushDiskType: knobOf(run, 'flushDiskType'), brokerRole: knobOf(run, 'brokerRole'), sendMode: knobOf(run, 'sendMode'), ackMode: knobOf(run, 'ackMode'), idempotent: knobOf(run, 'idempotent'),
  }));
  const mutation = trpc.drills.rerun.useMutation({
    onSuccess: async (started) => {
      await utils.drills.get.invalidate({ runId: run.runId });
      router.push(`/drills/${started.runId}`);
    },
  });
  const changed = (Object.keys(CHOICES) as Knob[]).filter((k) => values[k] !== knobOf(run, k));
  const disabledReason = !can.allowed
    ? can.reason ?? 'not allowed'
    : run.status === 'running'
      ? 'this run is still going'
      : run.input.seed === undefined
        ? 'this run was recorded without its seed'
        : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (disabledReason) return;
    mutation.mutate({
      runId: run.runId,
      flushDiskType: values.flushDiskType as 'SYNC_FLUSH' | 'ASYNC_FLUSH',
      brokerRole: values.brokerRole as 'SYNC_MASTER' | 'ASYNC_MASTER',
      sendMode: values.sendMode as SendMode,
      ackMode: values.ackMode as AckMode,
      idempotent: values.idempotent === 'yes',
    });
  };
  return (
    <form onSubmit={submit} aria-labelledby={`${uid}-title`} className="grid gap-2 rounded-lg border border-slate-200 p-3 dark:border-slate-800" noValidate>
      <h3 id={`${uid}-title`} className="text-sm font-semibold">
        Re-run with other settings
      </h3>
      <p className="text-xs text-slate-600 dark:text-slate-400">
        The same drill, seed {run.input.seed ?? '-'} and timing ({run.settings.traffic.durationSec} s at {run.settings.traffic.rate} msg/s); the other broker settings
        stay as this run had them. The settings apply for the re-run only.
      </p>
      <div className="grid grid-cols-2 gap-2 sm:grid-cols-5">
        {(Object.keys(CHOICES) as Knob[]).map((k) => (
          <label key={k} htmlFor={`${uid}-${k}`} className="text-xs">
            {CHOICES[k].label}
            <select
              id={`${uid}-${k}`}
              name={k}
              data-testid={`rerun-${k}`}
              value={values[k]}
              onChange={(e) => setValues((v) => ({ ...v, [k]: e.target.value }))}
              className="mt-0.5 w-full rounded-md border border-slate-300 bg-white px-2 py-1 text-sm focus-visible:outline-2 focus-visible:outline-emerald-500 dark:border-slate-700 dark:bg-slate-950"
            >
              {CHOICES[k].options.map((o) => (
                <option key={o} value={o}>
                  {o}
                  {o === knobOf(run, k) ? ' (this run)' : ''}
                </option>
              ))}
            </select>
          </label>
        ))}
      </div>
      {mutation.isError ? (
        <p role="alert" className="text-xs text-red-700 dark:text-red-300">
          {errorMessage(mutation.error)}
        </p>
      ) : null}
      <div className="flex flex-wrap items-center gap-2">
        <Button type="submit" variant="primary" data-testid="rerun-submit" busy={mutation.isPending} disabled={disabledReason !== null} aria-describedby={disabledReason ? `${uid}-why` : undefined}>
          Re-run
        </Button>
        <span id={`${uid}-why`} className="text-xs text-slate-500 dark:text-slate-400">
          {disabledReason ?? (changed.length > 0 ? `changes: ${changed.map((k) => `${CHOICES[k].label} ${values[k]}`).join(', ')}` : 'nothing changed: the same settings again (a repeat)')}
        </span>
      </div>
    </form>
  );
}
